"""Template text -> clause blocks, in a Jinja2 sandbox: templates cannot run code or read files.

Rendering also runs in a child process with a time limit, a memory limit and an output limit, so a
template with huge nested loops or `'x' * 10**10` is refused with a clear error instead of tying up
or exhausting the app server.
"""

from __future__ import annotations

import multiprocessing
import resource
from dataclasses import dataclass
from multiprocessing.connection import Connection
from typing import Any

from jinja2 import DictLoader, StrictUndefined
from jinja2 import TemplateError as JinjaError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from contracts.domain.fields import ContractFields
from contracts.errors import TemplateError

# an empty loader: {% include %} / {% import %} find nothing, so a template can never read a file
_ENV = ImmutableSandboxedEnvironment(
    loader=DictLoader({}),
    undefined=StrictUndefined,
    autoescape=False,
    trim_blocks=True,
    lstrip_blocks=True,
)
_ENV.filters["money"] = lambda v, cur="": f"{cur} {float(v):,.2f}".strip()


@dataclass(frozen=True)
class Block:
    kind: str  # heading | paragraph | bullet
    text: str


RENDER_SECONDS = 5.0  # a contract renders in milliseconds
MAX_OUTPUT = 1_000_000  # characters: a long contract is about 100,000
MAX_EXTRA_MEMORY = 256 * 1024**2  # bytes the rendering may allocate


def render_text(text: str, fields: ContractFields, extra: dict | None = None) -> str:
    """Fill placeholders and conditional clauses; unknown names are errors, not blanks."""
    ctx = (
        fields.model_dump(mode="python")
        | {
            "customer": fields.party("customer").model_dump(),
            "vendor": fields.party("vendor").model_dump(),
        }
        | (extra or {})
    )
    return _bounded(text, ctx)


def _bounded(text: str, ctx: dict[str, Any]) -> str:
    """Render in a forked child, killed past RENDER_SECONDS: the app never runs template code."""
    mp = multiprocessing.get_context("fork")
    receive, send = mp.Pipe(duplex=False)
    child = mp.Process(target=_render_child, args=(text, ctx, send), daemon=True)
    child.start()
    send.close()
    try:
        if not receive.poll(RENDER_SECONDS):
            child.kill()
            raise TemplateError(
                f"template cannot render: it took longer than {RENDER_SECONDS:g} s "
                "(check its loops)"
            )
        try:
            kind, value = receive.recv()
        except EOFError:
            raise TemplateError(
                "template cannot render: it needs more memory than a contract may "
                f"({MAX_EXTRA_MEMORY // 1024**2} MiB)"
            ) from None
    finally:
        receive.close()
        child.join(1)
        if child.is_alive():
            child.kill()
            child.join()
    if kind == "error":
        raise TemplateError(f"template cannot render: {value}")
    return value


def _render_child(text: str, ctx: dict[str, Any], send: Connection) -> None:
    try:
        _limit_memory()
        out: list[str] = []
        size = 0
        for chunk in _ENV.from_string(text).generate(**ctx):
            size += len(chunk)
            if size > MAX_OUTPUT:
                raise TemplateError(f"its text grows beyond {MAX_OUTPUT:,} characters")
            out.append(chunk)
        send.send(("ok", "".join(out)))
    except (JinjaError, TemplateError) as exc:
        send.send(("error", str(exc)))
    except MemoryError:
        send.send(("error", f"it needs more than {MAX_EXTRA_MEMORY // 1024**2} MiB of memory"))
    finally:
        send.close()


def _limit_memory() -> None:
    """Cap the child's address space a little above what it inherited from the app."""
    with open("/proc/self/status") as f:
        vm = next((int(line.split()[1]) * 1024 for line in f if line.startswith("VmSize:")), 0)
    if vm:
        limit = vm + MAX_EXTRA_MEMORY
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def blocks(rendered: str) -> list[Block]:
    """'## ' headings, '- ' bullets, blank-line separated paragraphs."""
    out: list[Block] = []
    para: list[str] = []

    def flush() -> None:
        if para:
            out.append(Block("paragraph", " ".join(para)))
            para.clear()

    for line in rendered.splitlines():
        s = line.strip()
        if not s:
            flush()
        elif s.startswith("## "):
            flush()
            out.append(Block("heading", s[3:]))
        elif s.startswith("- "):
            flush()
            out.append(Block("bullet", s[2:]))
        else:
            para.append(s)
    flush()
    return out
