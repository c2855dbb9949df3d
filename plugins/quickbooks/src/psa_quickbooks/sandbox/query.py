"""The QBO query language subset (reference 4): parser and executor.

``SELECT * | COUNT(*) FROM <Entity> [WHERE <cond> [AND <cond>]...] [ORDERBY <prop> [ASC|DESC][, ...]]
[STARTPOSITION n] [MAXRESULTS m]`` with ``=, <, >, <=, >=, IN (...), LIKE`` ('%' wildcard),
backslash-escaped quotes, case-insensitive keywords, names and values. Syntax errors give 4000
(``QueryParserError``), bad values and properties 4001 (``QueryValidationError``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

from . import balances, faults
from .store import ENTITY_RESOURCES, NAME_LISTS, public
from .timefmt import parse_datetime
from .validation import KNOWN_FIELDS, SYSTEM

QUERYABLE = {name.lower(): name for name in list(ENTITY_RESOURCES) + ["Preferences", "CompanyInfo"]}
_TOKEN = re.compile(r"""\s*(?:
    (?P<string>'(?:\\.|[^'\\])*')
  | (?P<number>-?\d+(?:\.\d+)?)
  | (?P<op><=|>=|!=|<>|=|<|>)
  | (?P<punct>[(),*])
  | (?P<name>[A-Za-z_][A-Za-z0-9_.]*)
)""", re.X)
OPS = {"=", "<", ">", "<=", ">=", "IN", "LIKE"}


@dataclass
class Query:
    entity: str
    count: bool = False
    where: list = field(default_factory=list)  # (prop, op, value)
    order: list = field(default_factory=list)  # (prop, descending)
    start: int = 1
    max_results: int = 100


def parse_error(detail: str) -> faults.QboFault:
    return faults.QboFault(4000, "Error parsing query", f"QueryParserError: {detail}")


def validation_error(detail: str) -> faults.QboFault:
    return faults.QboFault(4001, "Invalid query", f"QueryValidationError: {detail}")


def tokenize(text: str) -> list[tuple[str, str, int]]:
    tokens, pos = [], 0
    text = text.rstrip().rstrip(";")
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if not m or m.end() == pos:
            raise parse_error(f'Encountered " "{text[pos:pos + 10].strip()}" " at line 1, column {pos + 1}.')
        kind = m.lastgroup
        tokens.append((kind, m.group(kind), m.start(kind)))
        pos = m.end()
    return tokens


class _Parser:
    def __init__(self, text: str) -> None:
        self.tokens = tokenize(text)
        self.i = 0

    def peek(self, upper=True):
        if self.i >= len(self.tokens):
            return None
        kind, value, _ = self.tokens[self.i]
        return value.upper() if upper and kind in ("name", "op") else value

    def take(self):
        if self.i >= len(self.tokens):
            raise parse_error('Encountered "<EOF>" at line 1.')
        tok = self.tokens[self.i]
        self.i += 1
        return tok

    def expect(self, word: str):
        kind, value, pos = self.take()
        if value.upper() != word:
            raise parse_error(f'Encountered " "{value}" " at line 1, column {pos + 1}. Was expecting: "{word}"')

    def value(self):
        kind, value, pos = self.take()
        if kind == "string":
            return re.sub(r"\\(.)", r"\1", value[1:-1])
        if kind == "number":
            return float(value) if "." in value else int(value)
        if kind == "name" and value.lower() in ("true", "false"):
            return value.lower() == "true"
        raise parse_error(f'Encountered " "{value}" " at line 1, column {pos + 1}.')

    def integer(self, what: str) -> int:
        kind, value, pos = self.take()
        if kind != "number" or "." in value:
            raise parse_error(f'Encountered " "{value}" " at line 1, column {pos + 1}.')
        n = int(value)
        if n < 1:
            raise validation_error(f"value {n} is too small. Min allowed value is 1")
        return n

    def parse(self) -> Query:
        if not self.tokens:
            raise parse_error("empty query")
        self.expect("SELECT")
        count = False
        if self.peek() == "COUNT":
            self.take()
            self.expect("(")
            self.expect("*")
            self.expect(")")
            count = True
        else:
            self.expect("*")
            while self.peek() == ",":  # "SELECT *, Sku FROM Item"
                self.take()
                self.take()
        self.expect("FROM")
        kind, name, pos = self.take()
        entity = QUERYABLE.get(name.lower())
        if entity is None:
            raise validation_error(f"Entity {name} is not supported for query.")
        query = Query(entity=entity, count=count)
        if self.peek() == "WHERE":
            self.take()
            while True:
                kind, prop, pos = self.take()
                if kind != "name":
                    raise parse_error(f'Encountered " "{prop}" " at line 1, column {pos + 1}.')
                op = self.peek()
                if op not in OPS:
                    raise parse_error(f'Encountered " "{op}" " at line 1. Was expecting one of: = < > <= >= IN LIKE')
                self.take()
                if op == "IN":
                    self.expect("(")
                    values = [self.value()]
                    while self.peek() == ",":
                        self.take()
                        values.append(self.value())
                    self.expect(")")
                    query.where.append((prop, op, values))
                else:
                    query.where.append((prop, op, self.value()))
                if self.peek() != "AND":
                    break
                self.take()
        if self.peek() in ("ORDERBY", "ORDER"):
            if self.take()[1].upper() == "ORDER":
                self.expect("BY")
            while True:
                kind, prop, pos = self.take()
                desc = False
                if self.peek() in ("ASC", "DESC"):
                    desc = self.take()[1].upper() == "DESC"
                query.order.append((prop, desc))
                if self.peek() != ",":
                    break
                self.take()
        if self.peek() == "STARTPOSITION":
            self.take()
            query.start = self.integer("STARTPOSITION")
        if self.peek() == "MAXRESULTS":
            self.take()
            query.max_results = self.integer("MAXRESULTS")
            if query.max_results > 1000:
                raise validation_error(f"value {query.max_results} is too large. Max allowed value is 1000")
        if self.i < len(self.tokens):
            kind, value, pos = self.tokens[self.i]
            raise parse_error(f'Encountered " "{value}" " at line 1, column {pos + 1}.')
        return query


def parse(text: str) -> Query:
    return _Parser(text or "").parse()


def _lookup(obj: dict, prop: str):
    value = obj
    for part in prop.split("."):
        if not isinstance(value, dict):
            return None
        match = next((k for k in value if k.lower() == part.lower()), None)
        if match is None:
            return None
        value = value[match]
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    return value


def _comparable(left, right):
    """Coerce a stored value and a literal to comparable forms (or None if impossible)."""
    if left is None:
        return None, None
    if isinstance(right, bool) or isinstance(left, bool):
        return (str(left).lower() == "true") if not isinstance(left, bool) else left, \
               (str(right).lower() == "true") if not isinstance(right, bool) else right
    if isinstance(left, (int, float)) and not isinstance(left, bool):
        try:
            return float(left), float(right)
        except (TypeError, ValueError):
            return None, None
    if isinstance(left, str) and isinstance(right, str):
        if re.match(r"^\d{4}-\d{2}-\d{2}T", left) and re.match(r"^\d{4}-\d{2}-\d{2}", right):
            l, r = parse_datetime(left), parse_datetime(right)
            if l and r:
                return l, r
        return left.lower(), right.lower()
    return str(left).lower(), str(right).lower()


def _match(obj: dict, prop: str, op: str, value) -> bool:
    stored = _lookup(obj, prop)
    if op == "IN":
        return any(_match_one(stored, "=", v) for v in value)
    return _match_one(stored, op, value)


def _match_one(stored, op, value) -> bool:
    if op == "LIKE":
        if stored is None:
            return False
        pattern = "^" + ".*".join(re.escape(p) for p in str(value).split("%")) + "$"
        return re.match(pattern, str(stored), re.I | re.S) is not None
    left, right = _comparable(stored, value)
    if left is None:
        return False
    try:
        return {"=": left == right, "<": left < right, ">": left > right,
                "<=": left <= right, ">=": left >= right}[op]
    except TypeError:
        return False


def _check_property(entity: str, prop: str, op: str) -> None:
    top = prop.split(".")[0]
    known = KNOWN_FIELDS.get(entity)
    if known is not None and top not in known | SYSTEM and top.lower() not in {k.lower() for k in known | SYSTEM}:
        raise validation_error(f"property '{prop}' is not queryable")
    if top.lower() == "id" and op not in ("=", "IN"):
        raise validation_error("Id supports only the = and IN operators")


def execute(company, text: str) -> dict:
    """Run a query against a company; returns the ``QueryResponse`` object."""
    query = parse(text)
    if query.entity == "Preferences":
        rows = [dict(company.prefs, Id="1", domain="QBO")]
    elif query.entity == "CompanyInfo":
        rows = [company.info]
    else:
        rows = company.all(query.entity)
    for prop, op, _ in query.where:
        _check_property(query.entity, prop, op)
    for prop, _ in query.order:
        _check_property(query.entity, prop, "=")
    if query.entity in NAME_LISTS and not any(p.lower() == "active" for p, _, _ in query.where):
        rows = [r for r in rows if r.get("Active", True) is not False]
    if query.entity in balances.HOLDERS:  # filter and order on the computed balances
        table = balances.customer_balances(company)
        rows = [balances.shown(company, query.entity, public(r), table) for r in rows]
    rows = [r for r in rows if all(_match(r, p, op, v) for p, op, v in query.where)]
    rows.sort(key=lambda r: (int(r["Id"]) if str(r.get("Id", "")).isdigit() else 0, str(r.get("Id"))))
    for prop, desc in reversed(query.order):
        present = [r for r in rows if _lookup(r, prop) is not None]
        missing = [r for r in rows if _lookup(r, prop) is None]
        present.sort(key=lambda r: _comparable(_lookup(r, prop), _lookup(r, prop))[0], reverse=desc)
        rows = present + missing
    if query.count:
        return {"totalCount": len(rows)}
    page = rows[query.start - 1: query.start - 1 + query.max_results]
    if not page:
        return {}
    return {query.entity: [public(r) for r in page], "startPosition": query.start,
            "maxResults": len(page)}
