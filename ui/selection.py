"""Identity by id: a row clicked in a table becomes the id of the record drawn in that row, at the click.

`st.dataframe` keeps the selected row *position* when its rows change (another sort
order after someone else's signature, a search), so a position read later can name
another patient. The table's callback resolves the position against the ids exactly as
that table was drawn, keeps only the id, and redraws the table without a selection.
"""

from __future__ import annotations

import functools
import secrets
from collections.abc import Callable

import pandas as pd
import streamlit as st


def chosen(name: str) -> int | None:
    return st.session_state.get(_slot(name))


def choose(name: str, record_id: int) -> None:
    st.session_state[_slot(name)] = int(record_id)


def clear(name: str) -> None:
    st.session_state.pop(_slot(name), None)


def table(name: str, rows: pd.DataFrame, id_column: str, columns: dict,
          choose_with: Callable[[int], None] | None = None, style: Callable | None = None,
          **dataframe_kwargs) -> None:
    """Draw `rows` with only the `columns` named (label or column config per column); a click on a row's tick
    box or on any of its cells chooses its id, a click on a column header chooses nothing.

    Only the named columns are sent to the browser (a hidden column is still sent), and
    the id column stays on the server. `choose_with` replaces the plain choice, e.g. to
    audit opening a chart; `style` turns the shown rows into a pandas Styler (colours).
    """
    grid = f"pick~{name}~{st.session_state.setdefault(_grid(name), secrets.token_hex(4))}"
    ids = [int(i) for i in rows[id_column]]
    on_pick = choose_with or functools.partial(choose, name)
    shown = rows[list(columns)]
    # Column selection is on so that a click on a header selects its column, which chooses nothing: with cells
    # selectable and columns not, a header click sorted the grid and sent the top row's cell as a selection, which
    # opened a chart nobody chose (issue 25.10). A person sorts from the column's menu, which sends nothing.
    st.dataframe(style(shown) if style else shown, key=grid, hide_index=True, column_config=columns,
                 selection_mode=("single-row", "single-cell", "single-column"),
                 on_select=functools.partial(_resolve, name, grid, tuple(ids), on_pick), **dataframe_kwargs)


def _resolve(name: str, grid: str, ids: tuple[int, ...], on_pick: Callable[[int], None]) -> None:
    """Act on a click only from the grid now on screen. A grid's key changes after each pick, and the browser can
    send an old grid's selection again with a later run (Back clicked while a chart was loading, then a search):
    that replay must not reopen anything."""
    if grid != f"pick~{name}~{st.session_state.get(_grid(name))}":
        return
    selection = st.session_state[grid].selection
    picked = list(selection.rows) or [row for row, _column in selection.cells]
    if picked and picked[0] < len(ids):
        on_pick(ids[picked[0]])
    st.session_state[_grid(name)] = secrets.token_hex(4)


def _slot(name: str) -> str:
    return f"chosen~{name}"


def _grid(name: str) -> str:
    return f"pick~{name}~nonce"
