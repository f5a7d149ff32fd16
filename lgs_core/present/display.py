"""Text from the data, shown as text: what the pages pass to anything Streamlit renders as Markdown.

Streamlit renders captions, alerts, toasts, metric labels and help, tab and expander labels as Markdown
with its own additions (LaTeX between ``$``, ``:red[...]``, ``:material/icon:``, emoji shortcodes, arrows
for ``->``) and GitHub's bare-URL links. A country named ``[Click to verify your account](http://evil.example)``
rendered as a live link; ``**…**``, ``:red[…]`` and ``$$…$$`` rendered too. ``literal(value)`` makes any
value (a country, a description, a stock code, a file name, a segment name a user typed, an error message
quoting any of them) show as exactly its characters:

- each ASCII punctuation character Markdown or Streamlit gives a meaning gets a backslash (CommonMark:
  then it is only itself), which stops emphasis, links, code, HTML, entities, headings, lists, tables,
  LaTeX and ``:color[…]`` (commas, quotes and the like are left as they are: they mean nothing there);
- a WORD JOINER (U+2060, invisible, no width) follows each ``:`` and ``@``, the first ``w`` of ``www``,
  and the first of two arrow characters (``-> <- => <= >=``), which stops what is found in the text after
  the Markdown is parsed, where a backslash no longer is: bare URLs (``http:``), ``www.`` names and e-mail
  addresses turned into links, ``:material/…:`` and ``:emoji:`` codes, arrows (checked in Chromium:
  tests/e2e/test_content_injection.py). Nowhere else: a path or a file name copied from the page (an error
  box's ``mv`` command) must paste as itself, so ``/``, ``.`` and ``-`` alone get no joiner;
- line breaks become spaces: a message is one line.

It is for Markdown only: a dataframe cell, a selectbox option or a chart's text is text already.
"""

from __future__ import annotations

import re

# The ASCII punctuation that means something in Markdown or to Streamlit (CommonMark escapes any of it).
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]<>()#+\-.!|~$:&^=])")
# Characters that start a pattern found after parsing (autolinks, shortcodes, typographic replacements).
_JOIN_AFTER = re.compile(r"([:@]|[wW](?=[wW]{2})|[-<>=~](?=\\?[-<>=~]))")
_LINE_BREAKS = re.compile(r"\r\n|[\r\n\v\f\x1c\x1d\x1e\x85\u2028\u2029]")
WORD_JOINER = "\u2060"


def literal(value: object) -> str:
    """``value`` as Markdown that Streamlit shows as exactly its text (see the module's docstring)."""
    text = _LINE_BREAKS.sub(" ", str(value))
    text = _PUNCTUATION.sub(r"\\\1", text)
    return _JOIN_AFTER.sub(r"\1" + WORD_JOINER, text)


def shown(markdown_text: str) -> str:
    """What ``literal`` text reads as once rendered (the joiners are invisible): for tests and logs."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown_text).replace(WORD_JOINER, "")
