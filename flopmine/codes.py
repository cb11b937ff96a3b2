"""Integer codes for text keys, and the joins build does on them (pure numpy and Arrow).

Build keys its rows and facts by text (paper, benchmark, model, field). Comparing, grouping and merging
millions of Arrow text cells in pandas was most of ``flopmine build``'s time at a million rows, so each
key column is encoded once as integer codes (equal text ↔ equal code), and the join works on those.
Text comes back only for the output columns, by taking from each column's distinct values.
"""

from __future__ import annotations

import contextlib
import ctypes
import functools
import gc
import importlib
import math
import sys
from collections.abc import Callable, Iterator
from types import ModuleType
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .types import OWN_MARKERS_PATTERN, normalise_model

if TYPE_CHECKING:
    from pyarrow import csv as pacsv

_NO_TEXT = pa.scalar("", pa.large_string())


def arrow_text(values: pd.Series | np.ndarray | pa.Array | pa.ChunkedArray) -> pa.Array:
    """A column of text as one Arrow ``large_string`` array (missing cells stay missing)."""
    if isinstance(values, pa.ChunkedArray | pa.Array):
        text = values
    else:
        text = pa.array(values, type=pa.large_string(), from_pandas=True)
    if isinstance(text, pa.ChunkedArray):
        text = text.combine_chunks() if text.num_chunks != 1 else text.chunk(0)
    return text.cast(pa.large_string()) if text.type != pa.large_string() else text


def csv_read_options(n_bytes: int) -> pacsv.ReadOptions:
    """Arrow CSV options that parse a text of ``n_bytes`` as one block: each column one chunk, in one buffer.

    By default Arrow parses 1 MiB blocks on its thread pool and each column comes in chunks, which the readers
    then joined (a copy of every cell). At a million annotation rows (264 MB of files) the conflict scan took
    8.7–10.2 s with blocks (2.9–4.3 s of it in the kernel, fresh pages) and 6.7–7.4 s read as one block."""
    from pyarrow import csv as pacsv

    return pacsv.ReadOptions(block_size=max(1 << 20, min(n_bytes + 1, 2**31 - 1)))


def encode(values: pd.Series | np.ndarray | pa.Array) -> tuple[pa.Array, np.ndarray]:
    """The distinct texts of a column (a missing cell counts as "") and each cell's int64 code into them,
    codes numbered in order of first appearance.

    >>> names, codes = encode(pd.Series(["b", "a", "b", None]))
    >>> names.to_pylist(), codes.tolist()
    (['b', 'a', ''], [0, 1, 0, 2])
    """
    text = pc.fill_null(arrow_text(values), _NO_TEXT)
    encoded = pc.dictionary_encode(text)
    return encoded.dictionary, encoded.indices.to_numpy(zero_copy_only=False).astype("int64")


def code_of(names: pa.Array, text: str) -> int:
    """The code of ``text`` among the distinct ``names`` of ``encode``, -1 when absent.

    >>> code_of(pa.array(["b", ""]), ""), code_of(pa.array(["b"]), "")
    (1, -1)
    """
    found = pc.index(names, pa.scalar(text, names.type)).as_py()
    return -1 if found is None else int(found)


def first_appearance(codes: np.ndarray) -> np.ndarray:
    """For codes numbered in order of first appearance (0, then 1, …), the position of each code's first cell.

    >>> first_appearance(np.array([0, 1, 0, 2, 1])).tolist()
    [0, 1, 3]
    """
    if not len(codes):
        return np.zeros(0, dtype="int64")
    seen = np.r_[-1, np.maximum.accumulate(codes)[:-1]]
    return np.flatnonzero(codes > seen)


def _dense(n_values: int, n_cells: int) -> bool:
    """Whether codes below ``n_values`` are few enough for a table indexed by code (no hashing): a table a few
    times the size of the column is cheaper than a hash table of it."""
    return n_values <= 4 * n_cells + 65_536


def renumber(values: np.ndarray, n_values: int) -> np.ndarray:
    """Codes 0, 1, … numbered in order of first appearance for non-negative integers below ``n_values``: equal
    values ↔ equal codes. By a table indexed by value when it is small enough (``_dense``), else by hashing.

    >>> renumber(np.array([7, 3, 7, 0]), 8).tolist()
    [0, 1, 0, 2]
    """
    values = np.asarray(values, dtype="int64")
    if not _dense(n_values, len(values)):
        return pd.factorize(values)[0].astype("int64", copy=False)  # already int64 on 64-bit: no copy
    first = np.full(n_values, len(values), dtype="int64")
    np.minimum.at(first, values, np.arange(len(values)))
    is_first = first[values] == np.arange(len(values))
    code = np.full(n_values, -1, dtype="int64")
    code[values[is_first]] = np.arange(int(is_first.sum()))
    return code[values]


def tuple_codes(*columns: np.ndarray) -> np.ndarray:
    """One int64 code per row of several integer columns: equal rows ↔ equal codes, numbered in order of first
    appearance (what ``DataFrame.groupby(columns, sort=False).ngroup()`` numbers). The columns are folded into
    one mixed-radix number, renumbered once (and before a column that would overflow it).

    >>> tuple_codes(np.array([5, 5, 7, 5]), np.array([1, 2, 1, 1])).tolist()
    [0, 1, 2, 0]
    """
    cols = [np.asarray(c, dtype="int64") for c in columns]
    if not len(cols[0]):
        return np.zeros(0, dtype="int64")
    lows = [int(c.min()) for c in cols]
    widths = [int(c.max()) - low + 1 for c, low in zip(cols, lows, strict=True)]
    if math.prod(widths) < 2**62:  # one number per row
        # folded in place into two arrays (fresh pages cost: each temporary of a million-row key was 27 MB)
        combined = cols[0] - lows[0]
        digit = np.empty_like(combined)
        for c, low, width in zip(cols[1:], lows[1:], widths[1:], strict=True):
            combined *= width
            combined += np.subtract(c, low, out=digit)
        return renumber(combined, math.prod(widths))
    # Columns are folded while the number fits; the rows so far are renumbered (0, 1, …: at most one per row) only
    # before a column that would overflow it, and that column too when it still would. Each renumbering of a
    # million-row key is a hash table (about 0.5 s), so fewer of them matter; any one-to-one folding numbers the
    # distinct rows alike.
    code, n_code = cols[0] - lows[0], widths[0]
    for c, low, width in zip(cols[1:], lows[1:], widths[1:], strict=True):
        digit = c - low
        if n_code * width >= 2**62:
            code = renumber(code, n_code)
            n_code = int(code.max()) + 1
            if n_code * width >= 2**62:
                digit = renumber(digit, width)
                width = int(digit.max()) + 1
        code *= width
        code += digit
        n_code *= width
    return renumber(code, n_code)


class KeyIndex:
    """The position of each of some distinct non-negative integer keys below ``n_values``: ``find`` answers
    many queries at once, by a table indexed by key when it is small enough, else by hashing.

    >>> KeyIndex(np.array([4, 9, 2]), 10).find(np.array([2, 3, 9, -1])).tolist()
    [2, -1, 1, -1]
    """

    def __init__(self, keys: np.ndarray, n_values: int) -> None:
        self._n = n_values
        keys = np.asarray(keys, dtype="int64")
        if _dense(n_values, len(keys)):
            self._table: np.ndarray | None = np.full(n_values, -1, dtype="int64")
            self._table[keys] = np.arange(len(keys))
            self._index: pd.Index | None = None
        else:
            self._table, self._index = None, pd.Index(keys)

    def find(self, queries: np.ndarray) -> np.ndarray:
        """The position of each query among the keys, -1 for a query that is not a key (or is out of range)."""
        queries = np.asarray(queries, dtype="int64")
        valid = (queries >= 0) & (queries < self._n)
        out = np.full(len(queries), -1, dtype="int64")
        if self._table is not None:
            out[valid] = self._table[queries[valid]]
        elif self._index is not None and len(self._index):
            out[valid] = self._index.get_indexer(queries[valid])
        return out


def expand(key_codes: np.ndarray, query_codes: np.ndarray, n_values: int) -> tuple[np.ndarray, np.ndarray]:
    """Every (query, key) pair of equal codes (below ``n_values``; a negative query matches nothing): a one-to-many
    join. Returns the query positions and the key positions, by query, and keys in their own order within a query.

    >>> q, k = expand(np.array([1, 2, 1]), np.array([1, 3, 2, -1]), 4)
    >>> q.tolist(), k.tolist()
    ([0, 0, 2], [0, 2, 1])
    """
    key_codes = np.asarray(key_codes, dtype="int64")
    query_codes = np.asarray(query_codes, dtype="int64")
    by_code = np.argsort(key_codes, kind="stable")
    count = np.bincount(key_codes, minlength=n_values)
    start = np.r_[0, np.cumsum(count)[:-1]]
    valid = query_codes >= 0
    per_query = np.where(valid, count[np.where(valid, query_codes, 0)], 0)
    query = np.repeat(np.arange(len(query_codes)), per_query)
    # each pair's rank within its query: 0, 1, … per query
    offsets = np.arange(len(query)) - np.repeat(np.cumsum(per_query) - per_query, per_query)
    return query, by_code[np.repeat(start[np.where(valid, query_codes, 0)], per_query) + offsets]


def spread(rows: np.ndarray, cells: pa.Array, n_rows: int) -> pa.Array:
    """``cells[i]`` at row ``rows[i]`` (rows distinct), "" in every other row of ``n_rows``.

    >>> spread(np.array([1, 3]), pa.array(["a", "bc"]), 5).to_pylist()
    ['', 'a', '', 'bc', '']
    """
    cells = arrow_text(cells)
    in_order = len(rows) and bool((rows[1:] > rows[:-1]).all()) and rows[0] >= 0 and rows[-1] < n_rows
    if in_order and not cells.null_count:
        return _spread_in_order(rows, cells, n_rows)
    where = np.full(n_rows, len(cells), dtype="int64")
    where[rows] = np.arange(len(cells))
    return pa.concat_arrays([cells, pa.array([""], type=pa.large_string())]).take(pa.array(where))


def _spread_in_order(rows: np.ndarray, cells: pa.Array, n_rows: int) -> pa.Array:
    """``spread`` for rows in increasing order and no missing cell: the cells' bytes are already in row order, so
    they stay where they are and only the offsets are new (an empty text in each other row). A copy and a take of
    every byte was most of the time of the joined text columns and of dataset.csv's floats at a million rows."""
    offsets = np.frombuffer(cells.buffers()[1], dtype="int64")[cells.offset:cells.offset + len(cells) + 1]
    length = np.zeros(n_rows, dtype="int64")
    length[rows] = np.diff(offsets)
    out = np.empty(n_rows + 1, dtype="int64")
    out[0] = 0
    np.cumsum(length, out=out[1:])
    out += offsets[0]
    data = cells.buffers()[2] if cells.buffers()[2] is not None else pa.py_buffer(b"")
    return pa.LargeStringArray.from_buffers(n_rows, pa.py_buffer(out), data)


def join_consecutive(rows: np.ndarray, texts: pa.Array, n_rows: int, sep: str) -> pa.Array:
    """For each row 0..n_rows-1, its ``texts`` joined by ``sep`` in the order given ("" for a row without any);
    a row's texts must be consecutive.

    >>> join_consecutive(np.array([0, 0, 2]), pa.array(["a", "b", "c"]), 4, ";").to_pylist()
    ['a;b', '', 'c', '']
    """
    if not len(rows):
        return pa.array([""] * n_rows, type=pa.large_string())
    starts = np.flatnonzero(np.r_[True, rows[1:] != rows[:-1]])
    lists = pa.LargeListArray.from_arrays(pa.array(np.r_[starts, len(rows)].astype("int64")), arrow_text(texts))
    return spread(rows[starts], pc.binary_join(lists, pa.scalar(sep, pa.large_string())), n_rows)


def order_groups_by_text(group: np.ndarray, text: pa.Array, values: np.ndarray) -> np.ndarray:
    """``values`` (one per position; the positions in ``group`` order) with each group's positions put in the order
    of their ``text``, stably. Only the groups whose text is out of order are sorted, so input already in order
    costs one comparison pass.

    >>> order_groups_by_text(np.array([0, 0, 1, 1]), pa.array(["b", "a", "c", "d"]), np.array([10, 11, 12, 13]))
    array([11, 10, 12, 13])
    """
    n = len(group)
    if n < 2:
        return values
    same = group[1:] == group[:-1]
    later = pc.less(text.slice(1), text.slice(0, n - 1)).to_numpy(zero_copy_only=False)
    unsorted = np.unique(group[1:][same & later])
    if not len(unsorted):
        return values
    at = np.flatnonzero(np.isin(group, unsorted))
    sub = pa.table({"group": pa.array(group[at]), "text": text.take(pa.array(at))})
    by_text = pc.sort_indices(sub, sort_keys=[("group", "ascending"), ("text", "ascending")]).to_numpy()
    values = values.copy()
    values[at] = values[at[by_text]]
    return values


def join_sorted_distinct(rows: np.ndarray, codes: np.ndarray, names: pa.Array, n_rows: int, sep: str = ";"
                         ) -> pa.Array:
    """For each row 0..n_rows-1, the distinct non-empty texts ``names[codes]`` of its parts, sorted (by code point,
    as Python sorts text) and joined by ``sep``.

    Parts are grouped by row with an integer sort; a row's texts are compared as text only where they are
    out of order after that (ids that were written in order need no text sort at all).

    >>> join_sorted_distinct(np.array([1, 1, 1, 0]), np.array([0, 1, 0, 2]), pa.array(["b", "a", ""]), 3).to_pylist()
    ['', 'a;b', '']
    """
    names = arrow_text(names)
    empty = pc.equal(names, _NO_TEXT).to_numpy(zero_copy_only=False)
    keep = ~empty[codes] if len(codes) else np.zeros(0, bool)
    rows, codes = np.asarray(rows, dtype="int64")[keep], codes[keep]
    order = np.argsort(rows, kind="stable")
    rows, codes = rows[order], codes[order]
    if len(rows) > 1:
        same_row = rows[1:] == rows[:-1]
        codes = order_groups_by_text(rows, names.take(pa.array(codes)), codes)
        repeat = np.r_[False, same_row & (codes[1:] == codes[:-1])]
        rows, codes = rows[~repeat], codes[~repeat]
    return join_consecutive(rows, names.take(pa.array(codes)), n_rows, sep)


#: What ``\s+`` matches in ASCII text (Python counts \x1c–\x1f as whitespace too).
_ASCII_SPACE = r"[ \t\n\r\f\v\x1c-\x1f]+"


def normalised_models(names: pa.Array) -> pa.Array:
    """``flopmine.types.normalise_model`` of each text (none missing), in Arrow for ASCII texts (the others one
    by one).

    >>> normalised_models(pa.array([" ResNet-152 (Ours)* ", "Net  B", "Modèle  ours"])).to_pylist()
    ['resnet-152', 'net b', 'modèle']
    """
    plain = pc.replace_substring_regex(names, "(?i)" + OWN_MARKERS_PATTERN, " ")
    plain = pc.ascii_lower(pc.utf8_trim(pc.replace_substring_regex(plain, _ASCII_SPACE, " "), " "))
    other = ~pc.string_is_ascii(names).to_numpy(zero_copy_only=False)
    if other.any():
        python = [normalise_model(n) for n in pc.filter(names, pa.array(other)).to_pylist()]
        plain = pc.replace_with_mask(plain, pa.array(other), pa.array(python, type=plain.type))
    return plain


def _ends(cells: pa.Array) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Each text's length in bytes, and its first, second and last byte (0 where it has none), read from the
    Arrow buffers without a Python string per cell. In UTF-8 a byte below 0x80 is an ASCII character and every
    byte of any other character is 0x80 or above, so an ASCII test on a byte is one on the character."""
    text = arrow_text(cells)
    n = len(text)
    if not n or text.buffers()[2] is None:
        return np.zeros(n, dtype="int64"), *(np.zeros(n, dtype=np.uint8) for _ in range(3))  # type: ignore[return-value]
    offsets = np.frombuffer(text.buffers()[1], dtype="int64")[text.offset:text.offset + n + 1]
    data = np.frombuffer(text.buffers()[2], dtype=np.uint8)
    start, length = offsets[:-1], np.diff(offsets)
    if not len(data):  # every text empty
        return length, *(np.zeros(n, dtype=np.uint8) for _ in range(3))  # type: ignore[return-value]

    def at(position: np.ndarray, absent: np.ndarray) -> np.ndarray:
        # ``take`` clips a position past the data (an empty last cell) itself, with no clipped copy of them
        byte = data.take(position, mode="clip")
        byte[absent] = 0
        return byte

    empty = length == 0
    return length, at(start, empty), at(start + 1, length < 2), at(offsets[1:] - 1, empty)


def _byte_set(chars: bytes | range) -> np.ndarray:
    table = np.zeros(256, bool)
    table[list(chars)] = True
    return table


#: Bytes that may begin or end a whitespace character in any definition: ASCII controls, space, DEL and every
#: byte of a non-ASCII character.
_MAY_BE_SPACE = _byte_set(bytes([*range(0x21), *range(0x7F, 0x100)]))
_FORMULA_BYTES = _byte_set(b"=+-@\t\r")


def stripped(cells: pa.Array) -> pa.Array:
    """Python's ``str.strip()`` of each text (none missing); Python strips only the cells that can need it.

    >>> stripped(pa.array([" a ", "b", "\\x1fc", "", "d\\u3000"])).to_pylist()
    ['a', 'b', 'c', '', 'd']
    """
    length, first, _second, last = _ends(cells)
    edge = (length > 0) & (_MAY_BE_SPACE[first] | _MAY_BE_SPACE[last])
    if not edge.any():
        return cells
    python = [c.strip() for c in pc.filter(cells, pa.array(edge)).to_pylist()]
    return pc.replace_with_mask(cells, pa.array(edge), pa.array(python, type=cells.type))


def blank(cells: pa.Array, unsure: np.ndarray | None = None) -> np.ndarray:
    """Whether each text (none missing) is empty or whitespace only, as Python's ``not cell.strip()``; with
    ``unsure``, only those cells are looked at (the others count as not blank).

    >>> blank(pa.array(["", " ", "a", "\\x1f", "é"])).tolist()
    [True, True, False, True, False]
    """
    length, first, _second, _last = _ends(cells)
    out = (length == 0) | _MAY_BE_SPACE[first]
    if unsure is not None:
        out &= unsure
    check = out & (length > 0)
    if check.any():
        out[check] = [not c.strip() for c in pc.filter(cells, pa.array(check)).to_pylist()]
    return out


def unneutralised(cells: pa.Array) -> pa.Array:
    """``flopmine.config.unneutralise_cell`` of each text (none missing).

    >>> unneutralised(pa.array(["'=1+2", "it's", "'", "'-x"])).to_pylist()
    ['=1+2', "it's", "'", '-x']
    """
    length, first, second, _last = _ends(cells)
    quoted = (length > 1) & (first == ord("'")) & _FORMULA_BYTES[second]
    if not quoted.any():
        return cells
    return pc.if_else(pa.array(quoted), pc.utf8_slice_codeunits(cells, 1), cells)


@functools.cache
def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's ``malloc_trim``, or None where the C library has none (musl, macOS, Windows)."""
    try:
        return ctypes.CDLL(None).malloc_trim  # type: ignore[no-any-return]
    except (AttributeError, OSError):
        return None


def release_memory() -> None:
    """Give the memory the allocators keep after freeing back to the system: Arrow's (at a million annotation rows
    the conflict scan's freed columns stayed resident, about 1.2 GB, under the build that followed it) and the C
    library's, which numpy's arrays come from (glibc keeps freed blocks below a threshold that grows with the
    largest block freed, so the join's freed arrays stayed resident: about 0.35 GB at a million rows)."""
    pa.default_memory_pool().release_unused()
    trim = _malloc_trim()
    if trim is not None:
        trim(0)


@contextlib.contextmanager
def long_lived() -> Iterator[None]:
    """Run the block (an import) without the cyclic garbage collector, then leave every object alive at its end to
    reference counting alone (``gc.freeze``): a library's modules, classes and functions live as long as the process.

    Each full collection walks every tracked object: with pandas, ``scipy.stats`` and matplotlib imported that is
    90,000–190,000 of them, 0.02–0.15 s of CPU a collection, and a first ``flopmine analyze`` made four or five (most
    while importing) plus one more as the interpreter exits, for garbage that imports hardly make. Frozen objects are
    still freed when their last reference goes; only garbage in a cycle among them stays (an import makes little).
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        if enabled:
            gc.enable()


def import_long_lived(name: str) -> ModuleType:
    """``importlib.import_module(name)``, the first time in this process under ``long_lived``."""
    module = sys.modules.get(name)
    if module is None:
        with long_lived():
            module = importlib.import_module(name)
    return module


@functools.cache
def imports_long_lived() -> None:
    """``long_lived`` for what this process has imported so far, once: the start of a command (build, analyze),
    whose libraries were imported before it ran. Once per process, so that a process running many commands (the
    tests) does not freeze each one's leftovers."""
    with long_lived():
        pass
