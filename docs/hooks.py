"""MkDocs hook (mkdocs.yml ``hooks:``): the API reference pages written from the nav.

Every nav entry ``api/<module>.md`` that has no file in ``docs/api/`` gets a generated page that
renders ``<module>`` with mkdocstrings, and the API reference's index page lists them all, so
documenting a new public module is one nav line, e.g.
``- mlbasics.something: api/mlbasics.something.md``. A hand-written file of the same name wins.
"""
from __future__ import annotations

from typing import Any

from mkdocs.structure.files import File, Files


def _nav_pages(nav: Any, title: str = "") -> list[tuple[str, str]]:
    """Every (title, page path) of the nav, in order."""
    if isinstance(nav, str):
        return [(title, nav)]
    if isinstance(nav, dict):
        return [p for key, value in nav.items() for p in _nav_pages(value, key)]
    if isinstance(nav, list):
        return [p for item in nav for p in _nav_pages(item)]
    return []


def _api_pages(config: Any) -> list[tuple[str, str]]:
    return [(title, path) for title, path in _nav_pages(config["nav"] or [])
            if path.startswith("api/") and path.endswith(".md") and path != "api/index.md"]


def on_files(files: Files, config: Any) -> Files:
    for _, path in _api_pages(config):
        if not files.get_file_from_path(path):
            module = path[len("api/"):-len(".md")]
            files.append(File.generated(config, path, content=f"::: {module}\n"))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    if page.file.src_uri != "api/index.md":
        return markdown
    links = [f"- [`{title}`]({path[len('api/'):]})" for title, path in _api_pages(config)]
    return markdown.rstrip("\n") + "\n\n" + "\n".join(links) + "\n"
