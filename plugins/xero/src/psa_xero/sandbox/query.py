"""A useful subset of Xero's ``where`` and ``order`` syntax, plus paging.

Supported in ``where``::

    Field == value        !=  >  >=  <  <=     (Field may be dotted: Contact.ContactID)
    Field.Contains("x")   Field.StartsWith("x")   Field.EndsWith("x")
    a AND b   a OR b   a && b   a || b   NOT a   ( ... )
    values: "string", 12.5, true, false, null, Guid("..."), DateTime(2026,1,31[,h,m,s]),
            DateTime.Parse("2026-01-31T00:00:00");  Field.ToString()/ToLower()/ToUpper()

String comparisons are case-insensitive (as Xero's are in practice). Anything else raises
:class:`QueryError`, which the API answers with a 400 ``QueryParseException``.
"""

from __future__ import annotations

import math
import re
from datetime import date, datetime

_TOKEN = re.compile(r"""
    \s*(?:
      (?P<string>"(?:[^"\\]|\\.)*")
    | (?P<number>-?\d+(?:\.\d+)?)
    | (?P<op>==|!=|>=|<=|>|<|&&|\|\||\(|\)|,|\.)
    | (?P<ident>[A-Za-z_][A-Za-z0-9_]*)
    )""", re.VERBOSE)


class QueryError(ValueError):
    pass


def _tokens(text: str) -> list[tuple[str, str]]:
    out, pos = [], 0
    text = text.strip()
    while pos < len(text):
        match = _TOKEN.match(text, pos)
        if not match or match.end() == pos:
            raise QueryError(f"Unexpected character at position {pos} in where clause")
        kind = match.lastgroup
        out.append((kind, match.group(kind)))
        pos = match.end()
    return out


class _Parser:
    def __init__(self, text: str) -> None:
        self.toks = _tokens(text)
        self.i = 0

    def peek(self, offset: int = 0):
        j = self.i + offset
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self, value: str | None = None):
        tok = self.peek()
        if tok[0] is None or (value is not None and tok[1].upper() != value.upper()):
            raise QueryError(f"Expected {value or 'more input'} in where clause")
        self.i += 1
        return tok

    def parse(self):
        node = self.or_expr()
        if self.i != len(self.toks):
            raise QueryError(f"Unexpected '{self.peek()[1]}' in where clause")
        return node

    def or_expr(self):
        node = self.and_expr()
        while self.peek()[1] is not None and self.peek()[1].upper() in ("OR", "||"):
            self.i += 1
            node = ("or", node, self.and_expr())
        return node

    def and_expr(self):
        node = self.unary()
        while self.peek()[1] is not None and self.peek()[1].upper() in ("AND", "&&"):
            self.i += 1
            node = ("and", node, self.unary())
        return node

    def unary(self):
        if self.peek()[1] is not None and self.peek()[1].upper() == "NOT":
            self.i += 1
            return ("not", self.unary())
        if self.peek()[1] == "(":
            self.i += 1
            node = self.or_expr()
            self.take(")")
            return node
        return self.comparison()

    def comparison(self):
        kind, name = self.take()
        if kind != "ident":
            raise QueryError(f"Expected a field name, got '{name}'")
        path = [name]
        while self.peek()[1] == "." and self.peek(1)[0] == "ident":
            self.i += 1
            member = self.take()[1]
            if member in ("Contains", "StartsWith", "EndsWith") and self.peek()[1] == "(":
                self.take("(")
                arg = self.value()
                self.take(")")
                if not isinstance(arg, str):
                    raise QueryError(f"{member} needs a string argument")
                return ("call", member, path, arg)
            if member in ("ToLower", "ToUpper", "ToString") and self.peek()[1] == "(":
                self.take("(")
                self.take(")")
                continue
            path.append(member)
        kind, op = self.take()
        if op not in ("==", "!=", ">", ">=", "<", "<="):
            raise QueryError(f"Unknown operator '{op}' in where clause")
        return ("cmp", op, path, self.value())

    def value(self):
        kind, text = self.take()
        if kind == "string":
            return bytes(text[1:-1], "utf-8").decode("unicode_escape")
        if kind == "number":
            return float(text)
        if kind == "ident":
            upper = text.upper()
            if upper in ("TRUE", "FALSE"):
                return upper == "TRUE"
            if upper == "NULL":
                return None
            if text in ("Guid", "GUID"):
                self.take("(")
                inner = self.value()
                self.take(")")
                return str(inner).lower()
            if text == "DateTime" and self.peek()[1] == ".":
                self.take(".")
                self.take("Parse")
                self.take("(")
                inner = self.value()
                self.take(")")
                if not isinstance(inner, str):
                    raise QueryError("DateTime.Parse() takes a string")
                return datetime.fromisoformat(inner)
            if text == "DateTime":
                self.take("(")
                parts = []
                while True:
                    parts.append(self.value())
                    if self.peek()[1] == ",":
                        self.i += 1
                        continue
                    break
                self.take(")")
                if len(parts) == 1 and isinstance(parts[0], str):
                    return datetime.fromisoformat(parts[0])
                if not all(isinstance(p, float) and not math.isnan(p) for p in parts):
                    raise QueryError("DateTime() takes numbers")
                return datetime(*(int(p) for p in parts))
        raise QueryError(f"Unexpected '{text}' in where clause")


def compile_where(text: str | None):
    """Parse once; returns a predicate over stored entity dicts (or None for no filter)."""
    if not text or not text.strip():
        return None
    tree = _Parser(text).parse()
    return lambda entity: bool(_eval(tree, entity))


def _resolve(entity, path):
    value = entity
    for part in path:
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        value = value.get(match) if match else None
    return value


def _coerce(field, value):
    """Bring a stored field value and a literal to comparable types."""
    if isinstance(value, datetime):
        if field in (None, ""):
            return None, value
        text = str(field)
        moment = datetime.fromisoformat(text) if "T" in text else datetime.combine(
            date.fromisoformat(text), datetime.min.time())
        return moment, value
    if isinstance(value, bool) or value is None:
        return field, value
    if isinstance(value, float):
        try:
            return float(field), value
        except (TypeError, ValueError):
            return None, value
    return (str(field).lower() if field is not None else None), value.lower()


def _eval(node, entity):
    kind = node[0]
    if kind == "and":
        return _eval(node[1], entity) and _eval(node[2], entity)
    if kind == "or":
        return _eval(node[1], entity) or _eval(node[2], entity)
    if kind == "not":
        return not _eval(node[1], entity)
    if kind == "call":
        _, method, path, arg = node
        field = _resolve(entity, path)
        if field is None:
            return False
        field, arg = str(field).lower(), arg.lower()
        return {"Contains": arg in field, "StartsWith": field.startswith(arg),
                "EndsWith": field.endswith(arg)}[method]
    _, op, path, value = node
    field, value = _coerce(_resolve(entity, path), value)
    if op == "==":
        return field == value
    if op == "!=":
        return field != value
    if field is None or value is None:
        return False
    try:
        return {">": field > value, ">=": field >= value, "<": field < value,
                "<=": field <= value}[op]
    except TypeError:
        return False


def apply_order(items: list[dict], order: str | None, default: str | None = None) -> list[dict]:
    """``order=Field [ASC|DESC][, Field2 ...]``."""
    spec = (order or default or "").strip()
    if not spec:
        return items
    for clause in reversed([c.strip() for c in spec.split(",") if c.strip()]):
        parts = clause.split()
        if len(parts) > 2 or (len(parts) == 2 and parts[1].upper() not in ("ASC", "DESC")):
            raise QueryError(f"Invalid order clause '{clause}'")
        path = parts[0].split(".")
        desc = len(parts) == 2 and parts[1].upper() == "DESC"

        def key(entity, path=path):
            value = _resolve(entity, path)
            if value is None:
                return (0, "")
            if isinstance(value, (int, float)):
                return (1, value)
            return (2, str(value).lower())

        items = sorted(items, key=key, reverse=desc)
    return items


def paginate(items: list, page: int | None, page_size: int | None, default_size: int = 100):
    """Slice one page; returns (items, pagination dict or None when no page was asked)."""
    if page is None:
        return items, None
    size = max(1, min(int(page_size or default_size), 1000))
    page = max(1, int(page))
    count = len(items)
    pages = max(1, math.ceil(count / size)) if count else 0
    return items[(page - 1) * size: page * size], {
        "page": page, "pageSize": size, "pageCount": pages, "itemCount": count}
