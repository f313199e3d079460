"""``keras.preprocessing.text``: Tokenizer, text_to_word_sequence, one_hot, hashing_trick, tokenizer_from_json."""
from ...preprocessing.text import (Tokenizer, hashing_trick, one_hot, text_to_word_sequence,  # noqa: F401
                                   tokenizer_from_json)

__all__ = ["Tokenizer", "text_to_word_sequence", "one_hot", "hashing_trick", "tokenizer_from_json"]
