"""Excerpts of plain words take a shortcut past the tokenizer: it must quote them exactly as the
tokenizing path does, wherever the cut falls."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from app.digest.quoting import _tokenized_excerpt, excerpt

# Anything but markup (brackets, entities, "@name", "#value"): words, spaces, line breaks,
# punctuation and accents.
PLAIN = st.text(
    alphabet=st.sampled_from([*"abcdefghij XYZ.,;:!?-'\"()/\n\té…", "ß", "日", "本"]),
    max_size=400,
)


@given(PLAIN, st.integers(min_value=0, max_value=120))
def test_plain_text_is_quoted_as_the_tokenizer_would(text: str, limit: int) -> None:
    flat = " ".join(text.split())
    assert excerpt(text, {}, limit) == _tokenized_excerpt(flat, {}, limit)


def test_markup_still_goes_through_the_tokenizer() -> None:
    # One character of markup and the text is tokenized: mentions, entities and tags are kept.
    assert excerpt("thanks <@UANA> for it", {"UANA": "Ana"}) == "thanks @Ana for it"
    # "&amp;" shows as one character: twelve are "fish & chips".
    assert excerpt("fish &amp; chips " + "x" * 100, {}, 12) == "fish &amp; chips…"
    assert excerpt("see #deploy", {}) == "see #deploy"
