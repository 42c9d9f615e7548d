"""What a source wrote reaches a Markdown artifact as text: no extra cells, lines or links."""

from otop_sync.flows.nightly import markdown_text


def test_source_text_cannot_shape_a_markdown_artifact():
    assert markdown_text("line 3 | x*y* [a](http://e)\n# h") == (
        "line 3 \\| x\\*y\\* \\[a\\]\\(http://e\\) \\# h"
    )
