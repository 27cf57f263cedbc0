"""A small document model rendered both as Markdown and as self-contained HTML.

The main job and ``cosmossl compare`` build a :class:`Report` from headings, paragraphs, tables
and figures; ``report.md`` links the PNG files, ``report.html`` embeds them so it can be mailed.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cosmossl._util.files import write_text


@dataclass
class _Block:
    kind: str
    content: Any


@dataclass
class Report:
    """An ordered list of blocks; paths of figures are relative to the report's folder."""

    title: str
    blocks: list[_Block] = field(default_factory=list)

    def heading(self, text: str, level: int = 2) -> None:
        self.blocks.append(_Block("heading", (level, text)))

    def paragraph(self, text: str) -> None:
        self.blocks.append(_Block("paragraph", text))

    def warning(self, text: str) -> None:
        """A paragraph that must not be missed (set apart, headed "Warning")."""
        self.blocks.append(_Block("warning", text))

    def table(self, headers: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        cells = [[_cell(c) for c in row] for row in rows]
        self.blocks.append(_Block("table", ([str(h) for h in headers], cells)))

    def figure(self, path: str | Path, caption: str) -> None:
        self.blocks.append(_Block("figure", (str(path), caption)))

    def to_markdown(self) -> str:
        out = [f"# {self.title}", ""]
        for block in self.blocks:
            if block.kind == "heading":
                level, text = block.content
                out += ["#" * level + " " + text, ""]
            elif block.kind == "paragraph":
                out += [block.content, ""]
            elif block.kind == "warning":
                out += [f"> **Warning.** {block.content}", ""]
            elif block.kind == "table":
                headers, rows = block.content
                out.append("| " + " | ".join(map(_md_cell, headers)) + " |")
                out.append("|" + "|".join("---" for _ in headers) + "|")
                out += ["| " + " | ".join(map(_md_cell, row)) + " |" for row in rows]
                out.append("")
            elif block.kind == "figure":
                path, caption = block.content
                out += [f"![{caption}]({path})", "", f"*{caption}*", ""]
        return "\n".join(out)

    def to_html(self, base: Path) -> str:
        body = [f"<h1>{html.escape(self.title)}</h1>"]
        for block in self.blocks:
            if block.kind == "heading":
                level, text = block.content
                body.append(f"<h{level}>{html.escape(text)}</h{level}>")
            elif block.kind == "paragraph":
                body.append(f"<p>{html.escape(block.content)}</p>")
            elif block.kind == "warning":
                text = html.escape(block.content)
                body.append(f'<p class="warning"><strong>Warning.</strong> {text}</p>')
            elif block.kind == "table":
                headers, rows = block.content
                head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
                lines = "".join(
                    "<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>"
                    for row in rows
                )
                body.append(f"<table><thead><tr>{head}</tr></thead><tbody>{lines}</tbody></table>")
            elif block.kind == "figure":
                path, caption = block.content
                data = base64.b64encode((base / path).read_bytes()).decode("ascii")
                body.append(
                    f'<figure><img src="data:image/png;base64,{data}" alt="{html.escape(caption)}">'
                    f"<figcaption>{html.escape(caption)}</figcaption></figure>"
                )
        return _PAGE.format(title=html.escape(self.title), body="\n".join(body))

    def write(self, folder: str | Path, stem: str = "report") -> tuple[Path, Path]:
        """Write ``stem.md`` and ``stem.html`` into ``folder`` (atomically); return both paths."""
        folder = Path(folder)
        md, page = folder / f"{stem}.md", folder / f"{stem}.html"
        write_text(md, self.to_markdown())
        write_text(page, self.to_html(folder))
        return md, page


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|")


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.4g}"
    return "" if value is None else str(value)


_PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<style>
body {{ font-family: system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem;
       color: #222; line-height: 1.45; }}
table {{ border-collapse: collapse; margin: 1rem 0; }}
th, td {{ border: 1px solid #ccc; padding: 0.25rem 0.6rem; text-align: right; }}
th {{ background: #f3f3f3; }}
td:first-child, th:first-child {{ text-align: left; }}
figure {{ margin: 1rem 0; }} img {{ max-width: 100%; }}
figcaption {{ color: #555; font-size: 0.9rem; }}
.warning {{ background: #fff4e0; border-left: 4px solid #e08a00; padding: 0.5rem 0.8rem; }}
</style></head>
<body>
{body}
</body></html>
"""
