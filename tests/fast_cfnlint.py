"""Make cfn-lint (1.x) faster in the test run, with the same findings.

Profiling the golden tests showed costs in cfn-lint's machinery, none of them checking:
- `Validator.extend` (called for every rule on every resource) calls `validators.create`, which
  defines a new dataclass each time: 23,500 class creations (`exec`) for the goldens. The class
  depends only on its arguments (the keyword validators, the function filter's settings, the
  function resolvers), so one class per distinct argument set serves every call.
- `evolve` on validators, contexts and function filters calls `dataclasses.fields(cls)` each
  time (3.5 million calls); a class's fields never change once it is made, so cache them.
- `Rules.run` (per template) re-links child rules with `any(key == r for r in data.keys())`, a
  scan of every rule per child rule (39 million steps for the goldens); `key in data` is the
  same test. It also re-reads five config properties per rule, each merging four argument
  sources; they cannot change during one run, so they are read once. And it drives every rule
  through three generators per resource although `matchall_resource_properties` returns at
  once for a type not in `resource_property_types`: for rules that keep the base method, the
  copy skips those calls and keeps their only effect (marking an enabled rule used).
  The copy is installed only if `Rules.run` and the base method have the exact source text it
  was made from (sha256 prefix); otherwise cfn-lint's own runs.
- E1101 `CfnLint.cfnLint` loops over every child rule and its keywords for each keyword of each
  value; `Rules.run` now indexes child rules by keyword after linking them (same order, same
  repeats) and the patched `cfnLint` uses the index while it belongs to the rule's current
  `child_rules` (cfn-lint loads rule classes from their files, so classes are fitted as
  `Rules.run` meets them, again only on exact source text).
- `Context.evolve` (1.1 million calls) and `Validator.evolve` (1.5 million) copy every field
  through the generated dataclass `__init__`. Context is frozen with plain init fields and no
  `__post_init__`, so the copy builds the instance dict directly; a Validator's copy sets the
  same values in field order (non-init ones from their default factories, as `__init__` does)
  and calls its `__post_init__`. Anything unexpected (a subclass, an unknown keyword) goes to
  the original method.
- `RefResolver.resolve_fragment` walks the whole schema document twice (for `id` and `$id`
  keys) on every `$ref` it resolves before following the JSON pointer; the subschemas with
  those keys are listed once per document (the list holds the document, so its `id()` stays
  its own), and the first match is the same. This assumes a schema is not changed in place
  once loaded, which only cfn-lint's `--override-spec` does (the tests never use it).
- E3016 (UpdatePolicy) validates every resource against an `allOf` of if/then/else entries
  whose branches only check the `UpdatePolicy` key, with a new schema resolver each time
  (about a tenth of the goldens' lint time); a resource without the key passes all of them,
  so it is skipped, if the schema still has that shape.
- E3062 (RDS instance class for the engine) validates an `allOf` of 980 `if`/`then` entries,
  each `if` requiring `Engine` to be a `const`: 0.45 s per DB instance. When the instance's
  Engine is a plain string, an entry whose const cfn-lint's `equal` rejects can never reach its
  `then` and its `if` yields nothing that survives (errors stay inside `if`, unknowns are
  dropped by the rule), so such entries are replaced by the schema `True` (indexes kept).
  A non-string Engine (a function) validates against the full schema.

Each is applied only when cfn-lint still has the shape it relies on; otherwise that part runs
unchanged and `apply()` returns False. tests/test_golden.py::
test_fast_cfnlint_finds_what_cfn_lint_finds compares findings with and without them.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import inspect
from collections.abc import Callable, Hashable, Iterator, Mapping
from typing import Any

_applied: bool | None = None


def apply() -> bool:
    """Install every speed-up once; return whether all of them are in place.

    Each patch checks the shape it relies on and is skipped (cfn-lint runs that part unchanged)
    when it does not fit; the result is False then, which test_golden reports."""
    global _applied
    if _applied is None:
        _applied = _install()
    return _applied


def _install() -> bool:
    try:
        import cfnlint.context.context as context
        import cfnlint.jsonschema._filter as filters
        import cfnlint.jsonschema.validators as validators
    except ImportError:
        return False
    modules = (context, filters, validators)
    if not all(getattr(m, "fields", None) is dataclasses.fields for m in modules):
        return False
    if not callable(getattr(validators, "create", None)):
        return False
    for m in modules:
        m.fields = _fields  # type: ignore[attr-defined]
    validators.create = _memo_create(validators.create)  # type: ignore[attr-defined]
    return all([_patch_rules_run(), _patch_context_evolve(), _patch_resolve_fragment()])


@functools.cache
def _class_fields(cls: type) -> tuple[dataclasses.Field[Any], ...]:
    return dataclasses.fields(cls)


def _fields(x: Any) -> tuple[dataclasses.Field[Any], ...]:
    """`dataclasses.fields`, cached for classes (instances are passed through)."""
    return _class_fields(x) if isinstance(x, type) else dataclasses.fields(x)


def _memo_create(create: Callable[..., type]) -> Callable[..., type]:
    """Wrap `cfnlint.jsonschema.validators.create` to return one class per argument set."""
    made: dict[Hashable, type] = {}

    def cached(validators: Mapping[str, Any] | None = None, function_filter: Any = None,
               fn_resolvers: Mapping[str, Any] | None = None) -> type:
        try:
            key = (tuple((validators or {}).items()), _filter_key(function_filter),
                   tuple((fn_resolvers or {}).items()))
            hash(key)
        except (TypeError, AttributeError):
            return create(validators, function_filter, fn_resolvers)
        if key not in made:
            made[key] = create(validators, function_filter, fn_resolvers)
            _fast_validator_evolve(made[key])
        return made[key]

    return cached


def _filter_key(ff: Any) -> Hashable:
    """A FunctionFilter's settings: equal settings filter alike (it holds nothing else)."""
    if ff is None:
        return None
    return (type(ff), tuple((f.name, _frozen(getattr(ff, f.name))) for f in dataclasses.fields(ff)))


def _frozen(value: Any) -> Hashable:
    if isinstance(value, list | tuple):
        return tuple(_frozen(v) for v in value)
    if isinstance(value, dict):
        return tuple(sorted((k, _frozen(v)) for k, v in value.items()))
    return value  # type: ignore[no-any-return]


# --- Rules.run ---------------------------------------------------------------------------------

_RUN_SOURCE = "6fa2334a73faecae"
_MATCHALL_RP_SOURCE = "8b3a447601a66d88"
_CFNLINT_SOURCE = "23947c8987cd5a17"


def _source_is(fn: Any, digest: str) -> bool:
    """Whether `fn`'s source text is the one a patch was written against (sha256 prefix)."""
    try:
        text = inspect.getsource(fn)
    except (OSError, TypeError):
        return False
    return hashlib.sha256(text.encode()).hexdigest()[:16] == digest


def _patch_rules_run() -> bool:
    """Replace `Rules.run` by a copy with exact shortcuts, if the installed one is the one
    copied; `run` also fits the classes of the rules it runs (`_fit_rule_class`)."""
    try:
        from cfnlint.rules import _rules
        from cfnlint.rules._rule import CloudFormationLintRule
    except ImportError:
        return False
    if not (_source_is(_rules.Rules.run, _RUN_SOURCE)
            and _source_is(CloudFormationLintRule.matchall_resource_properties,
                           _MATCHALL_RP_SOURCE)):
        return False
    base_matchall_rp = CloudFormationLintRule.matchall_resource_properties
    fitted: set[type] = set()

    def run(self: Any, filename: str | None, cfn: Any, config: Any) -> Iterator[Any]:
        """`Rules.run` of cfn-lint 1.58 with exact shortcuts (see the module docstring)."""
        for rule in self.data.values():
            if type(rule) not in fitted:
                fitted.add(type(rule))
                _fit_rule_class(type(rule))
        enabled_rule_ids = set()
        configure_rules = config.configure_rules
        include_experimental = config.include_experimental
        ignore_checks, include_checks = config.ignore_checks, config.include_checks
        mandatory_checks = config.mandatory_checks
        for rule_id, rule in self.data.items():
            rule.configure(configure_rules.get(rule_id, None), include_experimental)
            rule.initialize(cfn)
            if rule.is_enabled(include_experimental=include_experimental,
                               ignore_rules=ignore_checks, include_rules=include_checks,
                               mandatory_rules=mandatory_checks):
                enabled_rule_ids.add(rule_id)

        for rule_id, rule in self.data.items():
            for key in rule.child_rules.keys():
                if key not in self.data:
                    continue
                rule.child_rules[key] = self.data.get(key)
            for parent_rule in rule.parent_rules:
                if parent_rule in self.data:
                    self.data[parent_rule].child_rules[rule_id] = rule
        for rule in self.data.values():
            if getattr(getattr(type(rule), "cfnLint", None), "_fast_cfnlint", False):
                _index_child_keywords(rule)

        for rule_id, rule in self.data.items():
            yield from self._filter_matches(
                enabled_rule_ids,
                self.run_check(rule.matchall, filename, rule_id, config, enabled_rule_ids,
                               filename, cfn))

        plain_rp = {rule_id: type(rule).matchall_resource_properties is base_matchall_rp
                    for rule_id, rule in self.data.items()}
        for resource_name, resource_attributes in cfn.get_resources().items():
            resource_type = resource_attributes.get("Type")
            resource_properties = resource_attributes.get("Properties")
            if isinstance(resource_type, str) and isinstance(resource_properties, dict):
                path = ["Resources", resource_name, "Properties"]
                for rule_id, rule in self.data.items():
                    if plain_rp[rule_id] and resource_type not in rule.resource_property_types:
                        # run_check's only effect here: the wrapper returns before matching
                        if rule_id in enabled_rule_ids:
                            self._used_rules[rule_id] = self.data[rule_id]
                        continue
                    yield from self._filter_matches(
                        enabled_rule_ids,
                        self.run_check(rule.matchall_resource_properties, filename, rule_id,
                                       config, enabled_rule_ids, filename, cfn,
                                       resource_properties, resource_type, path))

    _rules.Rules.run = run  # type: ignore[method-assign]
    return True


def _fit_rule_class(cls: type) -> None:
    """Speed up E1101 (`cfnLint`) and E3062 (`validate`) in `cls` if it is one of them.

    cfn-lint loads its rules from their files, as modules apart from the importable
    `cfnlint.rules...` ones, so the classes are patched as `Rules.run` first meets them."""
    if _source_is(cls.__dict__.get("cfnLint"), _CFNLINT_SOURCE):
        cls.cfnLint = _fast_cfnlint(cls.__dict__["cfnLint"])  # type: ignore[attr-defined]
    validate = cls.__dict__.get("validate")
    if (getattr(cls, "id", None) == "E3062" and _source_is(validate, _RDS_VALIDATE_SOURCE)
            and _source_is(getattr(cls.__mro__[1], "validate", None),
                           _CFNLINT_SCHEMA_VALIDATE_SOURCE)):
        cls.validate = _fast_rds_validate()  # type: ignore[attr-defined]
    if (getattr(cls, "id", None) == "E3016"
            and _source_is(validate, _UPDATE_POLICY_VALIDATE_SOURCE)):
        cls.validate = _fast_update_policy_validate(validate)  # type: ignore[attr-defined]


def _fast_cfnlint(original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """`CfnLint.cfnLint` looking child rules up by keyword in the index `Rules.run` built."""
    from cfnlint.jsonschema._utils import Unset

    def cfn_lint(self: Any, validator: Any, keywords: Any, instance: Any,
                 schema: Any) -> Iterator[Any]:
        index = self.__dict__.get("_fast_keyword_index")
        if (index is None or index[0] is not self.child_rules
                or not all(isinstance(k, str) for k in keywords)):
            yield from original(self, validator, keywords, instance, schema)
            return
        validator = validator.evolve(
            function_filter=validator.function_filter.evolve(add_cfn_lint_keyword=False))
        for keyword in keywords:
            for rule in index[1].get(keyword, ()):
                for err in rule.validate(validator, keyword, instance, schema):
                    if err.rule is None:
                        if isinstance(err.validator, Unset):
                            err.rule = rule
                    yield err

    cfn_lint._fast_cfnlint = True  # type: ignore[attr-defined]
    return cfn_lint


def _index_child_keywords(rule: Any) -> None:
    """Record, per keyword, the child rules `CfnLint.cfnLint` would run for it, in its order
    (once per matching entry of a rule's `keywords`, skipping None and id-less rules)."""
    index: dict[str, list[Any]] = {}
    try:
        for child in rule.child_rules.values():
            if child is None or not child.id:
                continue
            for keyword in child.keywords:
                if not isinstance(keyword, str):
                    raise TypeError(keyword)
                index.setdefault(keyword, []).append(child)
    except (TypeError, AttributeError):
        rule.__dict__.pop("_fast_keyword_index", None)
        return
    rule.__dict__["_fast_keyword_index"] = (rule.child_rules, index)


# --- Context.evolve and Validator.evolve -------------------------------------------------------

_CONTEXT_EVOLVE_SOURCE = "05aa695393629cc4"
_VALIDATOR_EVOLVE_SOURCE = "680d3a64a14823f8"


def _patch_context_evolve() -> bool:
    """Build evolved Contexts without the frozen dataclass `__init__` (see the docstring)."""
    try:
        from cfnlint.context.context import Context
    except ImportError:
        return False
    fields = dataclasses.fields(Context)
    if not (_source_is(Context.evolve, _CONTEXT_EVOLVE_SOURCE)
            and Context.__dataclass_params__.frozen  # type: ignore[attr-defined]
            and _plain_fields(Context) and all(f.init for f in fields)
            and not hasattr(Context, "__post_init__")
            and "__slots__" not in Context.__dict__):
        return False
    names = tuple(f.name for f in fields)
    name_set = frozenset(names)
    new_object = object.__new__
    set_attr = object.__setattr__

    def evolve(self: Any, **kwargs: Any) -> Any:
        """`Context.evolve`: a copy of the fields with `kwargs` replaced (`ref_values` merged)."""
        cls = self.__class__
        if cls is not Context or not name_set.issuperset(kwargs):
            return original(self, **kwargs)
        if "ref_values" in kwargs:
            new_ref_values = self.ref_values.copy()
            new_ref_values.update(kwargs["ref_values"])
            kwargs["ref_values"] = new_ref_values
        own = self.__dict__
        try:
            values = {name: kwargs[name] if name in kwargs else own[name] for name in names}
        except KeyError:  # a field not in __dict__: not made by the dataclass __init__
            return original(self, **kwargs)
        new = new_object(cls)
        set_attr(new, "__dict__", values)
        return new

    original = Context.evolve
    Context.evolve = evolve  # type: ignore[method-assign]
    return True


def _plain_fields(cls: type) -> bool:
    """Whether every dataclass field of `cls` is an ordinary field (no InitVar, no ClassVar)."""
    return all(f._field_type is dataclasses._FIELD  # type: ignore[attr-defined]
               for f in cls.__dataclass_fields__.values())  # type: ignore[attr-defined]


def _fast_validator_evolve(cls: type) -> None:
    """Give one class made by `validators.create` an `evolve` that skips the generated
    `__init__` (same field values, same `__post_init__`), if its shape is the expected one."""
    if not _source_is(cls.evolve, _VALIDATOR_EVOLVE_SOURCE):  # type: ignore[attr-defined]
        return
    fields = dataclasses.fields(cls)
    if any(f._field_type is not dataclasses._FIELD  # type: ignore[attr-defined]
           or (not f.init and f.default_factory is dataclasses.MISSING) for f in fields):
        return
    if (not _plain_fields(cls) or cls.__setattr__ is not object.__setattr__
            or "__slots__" in cls.__dict__):
        return
    name_set = frozenset(f.name for f in fields if f.init)
    # in field order, as the generated __init__ assigns them: (name, is init, factory)
    order = tuple((f.name, f.init, f.default_factory) for f in fields)
    original = cls.evolve  # type: ignore[attr-defined]
    new_object = object.__new__

    def evolve(self: Any, **kwargs: Any) -> Any:
        """`Validator.evolve`: a new validator like this one with `kwargs` changed."""
        if self.__class__ is not cls or not name_set.issuperset(kwargs):
            return original(self, **kwargs)
        new = new_object(cls)
        values = new.__dict__
        for name, init, factory in order:
            if not init:
                values[name] = factory()
            else:
                values[name] = kwargs[name] if name in kwargs else getattr(self, name)
        new.__post_init__()
        return new

    cls.evolve = evolve  # type: ignore[attr-defined]


# --- RefResolver.resolve_fragment --------------------------------------------------------------

_RESOLVE_FRAGMENT_SOURCE = "ea025746b95184a7"


def _patch_resolve_fragment() -> bool:
    """Resolve `$ref` fragments without walking the whole schema each time (see the docstring)."""
    try:
        from cfnlint.schema.resolver import _resolver
    except ImportError:
        return False
    resolver = _resolver.RefResolver
    if not (_source_is(resolver.resolve_fragment, _RESOLVE_FRAGMENT_SOURCE)
            and callable(getattr(_resolver, "_search_schema", None))
            and callable(getattr(_resolver, "_match_keyword", None))
            and all(hasattr(_resolver, n) for n in ("unquote", "Sequence", "RefResolutionError"))):
        return False
    original = resolver.resolve_fragment
    search, match = _resolver._search_schema, _resolver._match_keyword
    unquote, Sequence, error = _resolver.unquote, _resolver.Sequence, _resolver.RefResolutionError
    # id(document) -> (document, {keyword: its subschemas with the keyword, in search order});
    # holding the document keeps its id from being reused by another one. Bounded: some rules
    # (Step Functions) make a new schema on every call.
    found: dict[int, tuple[Any, dict[str, list[Any]]]] = {}

    def resolve_fragment(self: Any, document: Any, fragment: Any) -> Any:
        if not isinstance(document, dict) or not isinstance(fragment, str):
            return original(self, document, fragment)
        stripped = fragment.lstrip("/")
        if not stripped:
            return document
        entry = found.get(id(document))
        if entry is None or entry[0] is not document:
            if len(found) >= 4096:
                found.clear()
            entry = found[id(document)] = (document, {
                key: list(search(document, match(key))) for key in ("id", "$id")})
        target = "#" + stripped
        for key in ("id", "$id"):
            for subschema in entry[1][key]:
                if target == subschema[key]:
                    return subschema
        # no id matches: follow the JSON pointer, as the original goes on to do
        for part in unquote(stripped).split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if isinstance(document, Sequence):
                try:
                    part = int(part)
                except ValueError:
                    pass
            try:
                document = document[part]
            except (TypeError, LookupError) as e:
                raise error(f"Unresolvable JSON pointer: {stripped!r}") from e
        return document

    resolver.resolve_fragment = resolve_fragment  # type: ignore[method-assign]
    return True


# --- E3016 ------------------------------------------------------------------------------------

_UPDATE_POLICY_VALIDATE_SOURCE = "6914525244580fc5"


def _fast_update_policy_validate(
        original: Callable[..., Iterator[Any]]) -> Callable[..., Iterator[Any]]:
    """E3016's `validate`, which finds nothing in a resource without `UpdatePolicy` (and not
    wrapped in a function such as `Fn::If`, whose branches cfn-lint checks one by one)."""
    from cfnlint.helpers import FUNCTIONS

    functions = frozenset(FUNCTIONS)
    fits: dict[int, bool] = {}

    def validate(self: Any, validator: Any, keywords: Any, instance: Any,
                 schema: Any) -> Iterator[Any]:
        if (isinstance(instance, dict) and "UpdatePolicy" not in instance
                and functions.isdisjoint(instance)):
            own = self._schema
            if id(own) not in fits:
                fits[id(own)] = _constrains_only_update_policy(own)
            if fits[id(own)]:
                return
        yield from original(self, validator, keywords, instance, schema)

    return validate


def _constrains_only_update_policy(schema: Any) -> bool:
    """Whether `schema` is an `allOf` of if/then/else entries whose then and else only check
    the `UpdatePolicy` property (so an instance without it passes: errors inside an `if` only
    choose the branch)."""
    if not isinstance(schema, dict) or not set(schema) <= {"allOf", "definitions", "$schema"}:
        return False
    entries = schema.get("allOf")
    if not isinstance(entries, list):
        return False
    for entry in entries:
        if not isinstance(entry, dict) or not set(entry) <= {"if", "then", "else"}:
            return False
        for branch in (entry.get("then"), entry.get("else")):
            if branch is None:
                continue
            if (not isinstance(branch, dict)
                    or not set(branch) <= {"additionalProperties", "properties"}
                    or branch.get("additionalProperties", True) is not True
                    or set(branch.get("properties", {})) - {"UpdatePolicy"}):
                return False
    return True


# --- E3062 ------------------------------------------------------------------------------------

_RDS_VALIDATE_SOURCE = "151287fd5b22e376"
_CFNLINT_SCHEMA_VALIDATE_SOURCE = "3878814cd909086e"


def _fast_rds_validate() -> Callable[..., Iterator[Any]]:
    """E3062's `validate` (with CfnLintJsonSchema's inlined) against a narrowed schema."""
    from cfnlint.jsonschema._keywords_cfn import cfn_type
    from cfnlint.jsonschema._utils import equal

    narrowed: dict[tuple[int, str], tuple[Any, Any]] = {}

    def narrow(full: Any, engine: str) -> Any:
        """`full` with every allOf entry whose `if` needs another Engine (per `const`, as
        cfn-lint compares) replaced by the schema `True`, which accepts everything."""
        key = (id(full), engine)
        if key not in narrowed:
            entries = full.get("allOf") if isinstance(full, dict) else None
            if not isinstance(entries, list):
                narrowed[key] = (full, full)
            else:
                narrowed[key] = (full, {**full, "allOf": [
                    True if _other_engine(entry, engine, equal) else entry
                    for entry in entries]})
        return narrowed[key][1]

    def validate(self: Any, validator: Any, keywords: Any, instance: Any,
                 schema: dict[str, Any]) -> Iterator[Any]:
        """E3062's `validate` and CfnLintJsonSchema's, against the narrowed schema."""
        if not validator.is_type(instance, "object"):
            return
        validator = validator.evolve(context=validator.context.evolve(functions=[]))
        if validator.is_type(instance.get("Engine"), "string"):
            instance["Engine"] = instance["Engine"].lower()
        if not self._use_schema_arg:
            schema = self._schema
        engine = instance.get("Engine")
        if isinstance(engine, str):
            schema = narrow(schema, engine)
        cfn_validator = self.extend_validator(
            validator=validator.evolve(
                function_filter=validator.function_filter.evolve(
                    validate_dynamic_references=False, add_cfn_lint_keyword=False)),
            schema=schema,
            context=validator.context.evolve(unresolvable_function_mode=True),
            validators={"type": cfn_type},
        )
        for err in self._iter_errors(cfn_validator, instance):
            if not getattr(err, "unknown", False):
                yield err

    return validate


def _other_engine(entry: Any, engine: str, equal: Callable[[Any, Any], bool]) -> bool:
    """Whether `entry` is {"if": {"properties": {"Engine": {"const": C}}}, "then": ...} with a
    string C that cfn-lint's `const` would reject for `engine` (so its `if` can never hold)."""
    try:
        const = entry["if"]["properties"]["Engine"]["const"]
    except (KeyError, TypeError):
        return False
    return isinstance(const, str) and not equal(engine, const)
