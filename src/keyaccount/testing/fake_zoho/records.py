"""The CRM data: records per module and the Records API v8 semantics over them.

Callers hold the fake's lock; nothing here locks on its own.
"""

from __future__ import annotations

import bisect
import copy
import secrets
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from typing import Any

from keyaccount.clock import Clock
from keyaccount.testing.fake_zoho.modules import (
    LOOKUP,
    STANDARD_MODULES,
    SYSTEM_FIELDS,
    ModuleSpec,
    is_empty,
    lookup_id,
    type_problem,
)
from keyaccount.testing.fake_zoho.replies import Reply, api_error, item_error

MAX_PER_PAGE = 200
MAX_FIELDS = 50
PAGE_CAP = 2000
MAX_WRITE = 100
PAGE_TOKEN_LIFETIME = timedelta(hours=24)
SORT_FIELDS = ("id", "Created_Time", "Modified_Time")

_SYSTEM_ORDER = ("id", "Created_Time", "Modified_Time", "Created_By", "Modified_By")

FAKE_USER = {"name": "Fake Admin", "id": "5725767000000411001", "email": "admin@fake-zoho.test"}


@dataclass
class Stored:
    id: str
    values: dict[str, Any]
    created: datetime
    modified: datetime


@dataclass
class Cursor:
    """Server-side state behind a ``page_token``: where the previous page stopped."""

    module: str
    sort_by: str
    descending: bool
    since: datetime | None
    after: tuple[int, int]
    page: int
    expires_at: datetime


@dataclass
class Deleted:
    id: str
    module: str
    deleted_at: datetime
    name: str | None


@dataclass
class _Order:
    version: int
    rows: list[Stored]
    keys: list[tuple[int, int]]


@dataclass
class RecordStore:
    clock: Clock
    tz: tzinfo
    modules: dict[str, ModuleSpec] = field(default_factory=lambda: dict(STANDARD_MODULES))
    _data: dict[str, dict[str, Stored]] = field(default_factory=dict)
    _versions: dict[str, int] = field(default_factory=dict)
    _orders: dict[tuple[str, str], _Order] = field(default_factory=dict)
    _indexes: dict[tuple[str, str], dict[Any, list[str]]] = field(default_factory=dict)
    _cursors: dict[str, Cursor] = field(default_factory=dict)
    _deleted: list[Deleted] = field(default_factory=list)
    _next_id: int = 5725767000000500001
    _formatted: dict[datetime, str] = field(default_factory=dict)

    # -- helpers for tests --------------------------------------------------------------
    def define(self, spec: ModuleSpec) -> None:
        self.modules[spec.api_name] = spec
        self._touch(spec.api_name)

    def now(self) -> datetime:
        return self.clock.now().replace(microsecond=0)

    def fmt(self, moment: datetime) -> str:
        """Zoho renders datetimes in the org's time zone, with its offset, to the second."""
        # Many records share a second; formatting dominates large reads without this cache.
        text = self._formatted.get(moment)
        if text is None:
            text = moment.astimezone(self.tz).replace(microsecond=0).isoformat()
            if len(self._formatted) > 100_000:
                self._formatted.clear()
            self._formatted[moment] = text
        return text

    def all_rendered(self, module: str) -> list[dict[str, Any]]:
        # Copies, so a test that edits what it got back cannot reach into the fake's state.
        rows = self._data.get(module, {}).values()
        return [copy.deepcopy(self.render(module, r, None)) for r in rows]

    def one(self, module: str, record_id: str) -> dict[str, Any] | None:
        found = self._data.get(module, {}).get(record_id)
        return None if found is None else copy.deepcopy(self.render(module, found, None))

    def count(self, module: str) -> int:
        return len(self._data.get(module, {}))

    def load(
        self,
        module: str,
        rows: Iterable[Mapping[str, Any]],
        *,
        modified: Callable[[int], datetime] | None = None,
    ) -> list[str]:
        """Insert rows directly (validated like an insert); raise ``ValueError`` on a bad row."""
        spec = self._spec_or_raise(module)
        ids: list[str] = []
        for index, row in enumerate(rows):
            problem = self._check(spec, dict(row), index, existing=None)
            if problem is not None:
                raise ValueError(f"seed row {index} for {module} rejected: {problem}")
            stamp = modified(index).replace(microsecond=0) if modified else None
            ids.append(self._create(spec, copy.deepcopy(dict(row)), stamp).id)
        return ids

    # -- rendering ----------------------------------------------------------------------
    def render(self, module: str, rec: Stored, fields: Sequence[str] | None) -> dict[str, Any]:
        if fields is None:
            derived = ("Full_Name",) if self.modules[module].name_field == "Full_Name" else ()
            names: Iterable[str] = (*_SYSTEM_ORDER, *derived, *rec.values)
        else:
            # Zoho returns each asked-for field, null when the record has no value for it.
            names = ("id", *fields)
        return {name: self._field(module, rec, name) for name in names}

    def _field(self, module: str, rec: Stored, name: str) -> Any:
        if name == "id":
            return rec.id
        if name == "Created_Time":
            return self.fmt(rec.created)
        if name == "Modified_Time":
            return self.fmt(rec.modified)
        if name in ("Created_By", "Modified_By"):
            return {"name": FAKE_USER["name"], "id": FAKE_USER["id"]}
        if name == "Full_Name" and self.modules[module].name_field == "Full_Name":
            # Zoho derives Full_Name from First_Name and Last_Name; it is never written.
            return self._name_of(module, rec)
        return self._render_value(module, name, rec.values.get(name))

    def _render_value(self, module: str, key: str, value: Any) -> Any:
        spec = self.modules[module].fields.get(key)
        if spec is None or spec.data_type != LOOKUP or value is None:
            return value
        target_id = lookup_id(value)
        name = value.get("name") if isinstance(value, dict) else None
        if key == "Owner":
            return {"name": FAKE_USER["name"], "id": target_id, "email": FAKE_USER["email"]}
        if spec.lookup_module is not None and target_id is not None:
            target = self._data.get(spec.lookup_module, {}).get(target_id)
            if target is not None:
                name = self._name_of(spec.lookup_module, target)
        rendered = {"name": name, "id": target_id}
        if isinstance(value, dict) and "module" in value:
            rendered["module"] = value["module"]
        return rendered

    def _name_of(self, module: str, rec: Stored) -> str | None:
        spec = self.modules[module]
        if spec.name_field == "Full_Name":
            parts = [rec.values.get("First_Name"), rec.values.get("Last_Name")]
            return " ".join(p for p in parts if isinstance(p, str) and p) or None
        value = rec.values.get(spec.name_field)
        return value if isinstance(value, str) else None

    # -- reads --------------------------------------------------------------------------
    def list_page(
        self, module: str, params: Mapping[str, str], if_modified_since: str | None
    ) -> Reply:
        spec = self.modules.get(module)
        if spec is None:
            return _invalid_module()
        raw_fields = params.get("fields", "")
        fields = [f.strip() for f in raw_fields.split(",") if f.strip()]
        if not fields:
            return api_error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "fields"},
            )
        if len(fields) > MAX_FIELDS:
            return api_error(
                400,
                "LIMIT_EXCEEDED",
                f"at most {MAX_FIELDS} fields can be requested",
                {"param_name": "fields", "limit": MAX_FIELDS},
            )
        per_page = _positive_int(params.get("per_page", str(MAX_PER_PAGE)))
        if per_page is None:
            return _invalid_param("per_page", "integer")
        if per_page > MAX_PER_PAGE:
            return api_error(
                400,
                "LIMIT_EXCEEDED",
                f"per_page cannot exceed {MAX_PER_PAGE}",
                {"param_name": "per_page", "limit": MAX_PER_PAGE},
            )
        token = params.get("page_token")
        if token is not None and "page" in params:
            return api_error(
                400,
                "INVALID_REQUEST",
                "page and page_token cannot be given together",
                {"param_name": "page_token"},
            )
        if token is not None:
            return self._list_by_token(module, token, fields, per_page)

        page = _positive_int(params.get("page", "1"))
        if page is None:
            return _invalid_param("page", "integer")
        sort_by = params.get("sort_by", "id")
        if sort_by not in SORT_FIELDS:
            return _invalid_param("sort_by", "picklist")
        sort_order = params.get("sort_order", "desc")
        if sort_order not in ("asc", "desc"):
            return _invalid_param("sort_order", "picklist")
        since: datetime | None = None
        if if_modified_since is not None:
            since = _parse_since(if_modified_since)
            if since is None:
                return _bad_since()
        if page * per_page > PAGE_CAP:
            return api_error(
                400,
                "DISCRETE_PAGINATION_LIMIT_EXCEEDED",
                f"You can only get the first {PAGE_CAP} records without using page_token param",
                {"limit": PAGE_CAP},
            )
        rows, keys = self._ordered(module, sort_by, since)
        descending = sort_order == "desc"
        if descending:
            rows, keys = rows[::-1], keys[::-1]
        start = (page - 1) * per_page
        chosen = rows[start : start + per_page]
        more = start + per_page < len(rows)
        last_key = keys[start + len(chosen) - 1] if chosen else (0, 0)
        return self._page_reply(
            module, spec, chosen, fields, since, sort_by, descending, page, per_page, more, last_key
        )

    def _list_by_token(self, module: str, token: str, fields: list[str], per_page: int) -> Reply:
        cursor = self._cursors.get(token)
        if cursor is None or cursor.module != module:
            return api_error(
                400, "INVALID_DATA", "invalid page_token", {"param_name": "page_token"}
            )
        if cursor.expires_at <= self.clock.now():
            del self._cursors[token]
            return api_error(
                400, "INVALID_DATA", "the page_token has expired", {"param_name": "page_token"}
            )
        rows, keys = self._ordered(module, cursor.sort_by, cursor.since)
        if cursor.descending:
            end = bisect.bisect_left(keys, cursor.after)
            begin = max(0, end - per_page)
            chosen = rows[begin:end][::-1]
            chosen_keys = keys[begin:end][::-1]
            more = begin > 0
        else:
            begin = bisect.bisect_right(keys, cursor.after)
            chosen = rows[begin : begin + per_page]
            chosen_keys = keys[begin : begin + per_page]
            more = begin + per_page < len(rows)
        last_key = chosen_keys[-1] if chosen_keys else cursor.after
        return self._page_reply(
            module,
            self.modules[module],
            chosen,
            fields,
            cursor.since,
            cursor.sort_by,
            cursor.descending,
            cursor.page + 1,
            per_page,
            more,
            last_key,
        )

    def _page_reply(
        self,
        module: str,
        spec: ModuleSpec,
        chosen: list[Stored],
        fields: list[str],
        since: datetime | None,
        sort_by: str,
        descending: bool,
        page: int,
        per_page: int,
        more: bool,
        last_key: tuple[int, int],
    ) -> Reply:
        if not chosen:
            # Nothing changed since the header's time → 304; nothing at all → 204. No body.
            return Reply(304 if since is not None else 204)
        next_token: str | None = None
        expiry: str | None = None
        if more:
            now = self.clock.now()
            if len(self._cursors) >= 1000:
                # Long-running fakes would otherwise keep every token ever handed out.
                self._cursors = {k: c for k, c in self._cursors.items() if c.expires_at > now}
            expires_at = now + PAGE_TOKEN_LIFETIME
            next_token = secrets.token_hex(24)
            self._cursors[next_token] = Cursor(
                module, sort_by, descending, since, last_key, page, expires_at
            )
            expiry = self.fmt(expires_at)
        info = {
            "per_page": per_page,
            "count": len(chosen),
            "page": page,
            "sort_by": sort_by,
            "sort_order": "desc" if descending else "asc",
            "more_records": more,
            "next_page_token": next_token,
            "previous_page_token": None,
            "page_token_expiry": expiry,
        }
        return Reply(200, {"data": [self.render(module, r, fields) for r in chosen], "info": info})

    def get(self, module: str, record_id: str, params: Mapping[str, str]) -> Reply:
        if module not in self.modules:
            return _invalid_module()
        rec = self._data.get(module, {}).get(record_id)
        if rec is None:
            return Reply(204)
        fields = [f.strip() for f in params.get("fields", "").split(",") if f.strip()] or None
        return Reply(200, {"data": [self.render(module, rec, fields)]})

    def deleted(
        self, module: str, params: Mapping[str, str], if_modified_since: str | None
    ) -> Reply:
        if module not in self.modules:
            return _invalid_module()
        since: datetime | None = None
        if if_modified_since is not None:
            since = _parse_since(if_modified_since)
            if since is None:
                return _bad_since()
        per_page = _positive_int(params.get("per_page", str(MAX_PER_PAGE)))
        page = _positive_int(params.get("page", "1"))
        if per_page is None or per_page > MAX_PER_PAGE:
            return _invalid_param("per_page", "integer")
        if page is None:
            return _invalid_param("page", "integer")
        gone = [
            d
            for d in reversed(self._deleted)
            if d.module == module and (since is None or d.deleted_at > since)
        ]
        start = (page - 1) * per_page
        chosen = gone[start : start + per_page]
        if not chosen:
            return Reply(304 if since is not None else 204)
        data = [
            {
                "id": d.id,
                "display_name": d.name,
                "type": "recycle",
                "deleted_time": self.fmt(d.deleted_at),
                "deleted_by": {"name": FAKE_USER["name"], "id": FAKE_USER["id"]},
                "created_by": {"name": FAKE_USER["name"], "id": FAKE_USER["id"]},
            }
            for d in chosen
        ]
        info = {
            "per_page": per_page,
            "count": len(chosen),
            "page": page,
            "more_records": start + per_page < len(gone),
        }
        return Reply(200, {"data": data, "info": info})

    # -- writes -------------------------------------------------------------------------
    def write(
        self,
        module: str,
        action: str,
        body: Any,
        *,
        path_id: str | None = None,
    ) -> Reply:
        """``action`` is ``insert``, ``update`` or ``upsert``; one result per record, in order."""
        spec = self.modules.get(module)
        if spec is None:
            return _invalid_module()
        if not isinstance(body, dict) or not isinstance(body.get("data"), list):
            return api_error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"api_name": "data"},
            )
        rows: list[Any] = body["data"]
        if not rows:
            return api_error(400, "INVALID_DATA", "data cannot be empty", {"api_name": "data"})
        if len(rows) > MAX_WRITE or (path_id is not None and len(rows) != 1):
            limit = 1 if path_id is not None else MAX_WRITE
            return api_error(
                400,
                "LIMIT_EXCEEDED",
                "Record insertion limit has been exceeded."
                if action == "insert"
                else f"at most {limit} records can be sent in one call",
                {"limit": limit},
            )
        dup_fields = spec.duplicate_check
        if action == "upsert" and "duplicate_check_fields" in body:
            chosen = body["duplicate_check_fields"]
            if not isinstance(chosen, list) or not all(isinstance(f, str) for f in chosen):
                return api_error(
                    400,
                    "INVALID_DATA",
                    "duplicate_check_fields must be an array of field API names",
                    {"api_name": "duplicate_check_fields"},
                )
            dup_fields = tuple(chosen)

        # One timestamp per call: Zoho stamps a batch at the time it handles it.
        now = self.now()
        results: list[dict[str, Any]] = []
        for index, row in enumerate(rows):
            if not isinstance(row, dict):
                results.append(
                    item_error(
                        "INVALID_DATA",
                        "invalid data",
                        {"expected_data_type": "jsonobject", "json_path": f"$.data[{index}]"},
                    )
                )
                continue
            if action == "insert":
                results.append(self._insert_one(spec, row, index, now))
            elif action == "update":
                results.append(self._update_one(spec, row, index, path_id, now))
            else:
                results.append(self._upsert_one(spec, row, index, dup_fields, now))
        ok = sum(1 for r in results if r["status"] == "success")
        if ok == len(results):
            status = 200 if action == "update" else 201
        elif ok == 0:
            status = 400
        else:
            status = 207
        return Reply(status, {"data": results})

    def delete(self, module: str, ids: Sequence[str]) -> Reply:
        if module not in self.modules:
            return _invalid_module()
        if not ids:
            return api_error(
                400,
                "REQUIRED_PARAM_MISSING",
                "One of the expected parameter is missing",
                {"param_name": "ids"},
            )
        if len(ids) > MAX_WRITE:
            return api_error(
                400,
                "LIMIT_EXCEEDED",
                f"at most {MAX_WRITE} records can be deleted in one call",
                {"limit": MAX_WRITE, "param_name": "ids"},
            )
        results: list[dict[str, Any]] = []
        records = self._data.setdefault(module, {})
        for record_id in ids:
            rec = records.get(record_id)
            if rec is None:
                results.append(
                    item_error(
                        "INVALID_DATA", "the id given seems to be invalid", {"id": record_id}
                    )
                )
                continue
            self._unindex(module, rec)
            del records[record_id]
            self._deleted.append(Deleted(record_id, module, self.now(), self._name_of(module, rec)))
            results.append(
                {
                    "code": "SUCCESS",
                    "details": {"id": record_id},
                    "message": "record deleted",
                    "status": "success",
                }
            )
        self._touch(module)
        ok = sum(1 for r in results if r["status"] == "success")
        status = 200 if ok == len(results) else (400 if ok == 0 else 207)
        return Reply(status, {"data": results})

    def _insert_one(
        self, spec: ModuleSpec, row: dict[str, Any], index: int, now: datetime
    ) -> dict[str, Any]:
        problem = self._check(spec, row, index, existing=None)
        if problem is not None:
            return problem
        rec = self._create(spec, row, now)
        return self._success(rec, "record added")

    def _update_one(
        self,
        spec: ModuleSpec,
        row: dict[str, Any],
        index: int,
        path_id: str | None,
        now: datetime,
    ) -> dict[str, Any]:
        record_id = path_id if path_id is not None else row.get("id")
        if is_empty(record_id):
            return item_error(
                "MANDATORY_NOT_FOUND",
                "required field not found",
                {"api_name": "id", "json_path": f"$.data[{index}].id"},
            )
        rec = self._data.get(spec.api_name, {}).get(str(record_id))
        if rec is None:
            return item_error(
                "INVALID_DATA",
                "the id given seems to be invalid",
                {"api_name": "id", "json_path": f"$.data[{index}].id"},
            )
        problem = self._check(spec, row, index, existing=rec)
        if problem is not None:
            return problem
        self._apply(spec, rec, row, now)
        return self._success(rec, "record updated")

    def _upsert_one(
        self,
        spec: ModuleSpec,
        row: dict[str, Any],
        index: int,
        dup_fields: tuple[str, ...],
        now: datetime,
    ) -> dict[str, Any]:
        for name in dup_fields:
            value = row.get(name)
            if is_empty(value):
                continue
            matches = self._find(spec.api_name, name, value)
            if matches:
                rec = self._data[spec.api_name][matches[0]]
                problem = self._check(spec, row, index, existing=rec)
                if problem is not None:
                    return problem
                self._apply(spec, rec, row, now)
                result = self._success(rec, "record updated")
                result["action"] = "update"
                result["duplicate_field"] = name
                return result
        problem = self._check(spec, row, index, existing=None)
        if problem is not None:
            return problem
        rec = self._create(spec, row, now)
        result = self._success(rec, "record added")
        result["action"] = "insert"
        result["duplicate_field"] = None
        return result

    def _check(
        self, spec: ModuleSpec, row: dict[str, Any], index: int, existing: Stored | None
    ) -> dict[str, Any] | None:
        """The first problem with ``row`` as an item error, or ``None`` when it can be saved."""
        for name in spec.mandatory:
            missing = is_empty(row.get(name)) if existing is None or name in row else False
            if missing:
                return item_error(
                    "MANDATORY_NOT_FOUND",
                    "required field not found",
                    {"api_name": name, "json_path": f"$.data[{index}].{name}"},
                )
        declared = spec.fields
        for name, value in row.items():
            fspec = declared.get(name)
            if fspec is None or value is None or name in SYSTEM_FIELDS:
                continue
            problem = type_problem(fspec, value)
            if problem is None and fspec.data_type == LOOKUP and fspec.lookup_module:
                target = lookup_id(value)
                if target is not None and target not in self._data.get(fspec.lookup_module, {}):
                    problem = {"api_name": name, "expected_data_type": LOOKUP}
            if problem is not None:
                problem["json_path"] = f"$.data[{index}].{name}"
                return item_error("INVALID_DATA", "invalid data", problem)
        for name in spec.unique:
            value = row.get(name)
            if is_empty(value):
                continue
            others = self._find(spec.api_name, name, value)
            if existing is not None and existing.id in others:
                others.remove(existing.id)
            if others:
                return item_error(
                    "DUPLICATE_DATA",
                    "duplicate data",
                    {
                        "api_name": name,
                        "json_path": f"$.data[{index}].{name}",
                        "duplicate_record": {
                            "id": others[0],
                            "module": {"api_name": spec.api_name, "id": _module_id(spec.api_name)},
                            "Owner": dict(FAKE_USER),
                        },
                        "more_records": len(others) > 1,
                    },
                )
        return None

    def _create(self, spec: ModuleSpec, row: dict[str, Any], stamp: datetime | None) -> Stored:
        record_id = str(self._next_id)
        self._next_id += 1
        moment = stamp or self.now()
        values = (
            row
            if SYSTEM_FIELDS.isdisjoint(row)
            else {k: v for k, v in row.items() if k not in SYSTEM_FIELDS}
        )
        values.setdefault("Owner", {"id": FAKE_USER["id"]})
        rec = Stored(record_id, values, moment, moment)
        self._data.setdefault(spec.api_name, {})[record_id] = rec
        self._index(spec.api_name, rec)
        self._touch(spec.api_name)
        return rec

    def _apply(self, spec: ModuleSpec, rec: Stored, row: dict[str, Any], now: datetime) -> None:
        self._unindex(spec.api_name, rec)
        for key, value in row.items():
            if key not in SYSTEM_FIELDS:
                rec.values[key] = value
        rec.modified = now
        self._index(spec.api_name, rec)
        self._touch(spec.api_name)

    def _success(self, rec: Stored, message: str) -> dict[str, Any]:
        who = {"name": FAKE_USER["name"], "id": FAKE_USER["id"]}
        return {
            "code": "SUCCESS",
            "details": {
                "id": rec.id,
                "Created_Time": self.fmt(rec.created),
                "Created_By": who,
                "Modified_Time": self.fmt(rec.modified),
                "Modified_By": who,
            },
            "message": message,
            "status": "success",
        }

    # -- ordering and indexes -----------------------------------------------------------
    def _touch(self, module: str) -> None:
        self._versions[module] = self._versions.get(module, 0) + 1

    def _ordered(
        self, module: str, sort_by: str, since: datetime | None
    ) -> tuple[list[Stored], list[tuple[int, int]]]:
        """Records ascending by ``(sort value, id)``; cached until the module next changes."""
        version = self._versions.get(module, 0)
        cached = self._orders.get((module, sort_by))
        if cached is None or cached.version != version:
            rows = sorted(self._data.get(module, {}).values(), key=lambda r: _key(r, sort_by))
            cached = _Order(version, rows, [_key(r, sort_by) for r in rows])
            self._orders[(module, sort_by)] = cached
        if since is None:
            return cached.rows, cached.keys
        pairs = [
            (r, k) for r, k in zip(cached.rows, cached.keys, strict=True) if r.modified > since
        ]
        return [p[0] for p in pairs], [p[1] for p in pairs]

    def _find(self, module: str, name: str, value: Any) -> list[str]:
        index = self._indexes.get((module, name))
        if index is None:
            index = {}
            for rec in self._data.get(module, {}).values():
                if name in rec.values and not is_empty(rec.values[name]):
                    index.setdefault(_norm(rec.values[name]), []).append(rec.id)
            self._indexes[(module, name)] = index
        return list(index.get(_norm(value), []))

    def _index(self, module: str, rec: Stored) -> None:
        for (mod, name), index in self._indexes.items():
            if mod == module and name in rec.values and not is_empty(rec.values[name]):
                index.setdefault(_norm(rec.values[name]), []).append(rec.id)

    def _unindex(self, module: str, rec: Stored) -> None:
        for (mod, name), index in self._indexes.items():
            if mod == module and name in rec.values and not is_empty(rec.values[name]):
                ids = index.get(_norm(rec.values[name]), [])
                if rec.id in ids:
                    ids.remove(rec.id)

    def _spec_or_raise(self, module: str) -> ModuleSpec:
        spec = self.modules.get(module)
        if spec is None:
            raise ValueError(f"unknown module {module!r}; define it with define_module first")
        return spec


def _key(rec: Stored, sort_by: str) -> tuple[int, int]:
    if sort_by == "Created_Time":
        return (int(rec.created.timestamp()), int(rec.id))
    if sort_by == "Modified_Time":
        return (int(rec.modified.timestamp()), int(rec.id))
    return (int(rec.id), int(rec.id))


def _norm(value: Any) -> Any:
    # Zoho's duplicate check ignores letter case in text values.
    if isinstance(value, str):
        return value.casefold()
    if isinstance(value, dict):
        return lookup_id(value)
    if isinstance(value, list):
        return tuple(value)
    return value


def _module_id(module: str) -> str:
    return str(5725767000000002000 + sum(ord(c) for c in module))


def _positive_int(text: str) -> int | None:
    if not text.isdigit():
        return None
    value = int(text)
    return value if value > 0 else None


def _parse_since(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.strip())
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    return moment


def _bad_since() -> Reply:
    return api_error(
        400,
        "INVALID_DATA",
        "If-Modified-Since must be an ISO-8601 date-time with offset",
        {"header_name": "If-Modified-Since"},
    )


def _invalid_module() -> Reply:
    return api_error(400, "INVALID_MODULE", "The module name given seems to be invalid")


def _invalid_param(name: str, expected: str) -> Reply:
    return api_error(
        400,
        "INVALID_DATA",
        "invalid data",
        {"param_name": name, "expected_data_type": expected},
    )
