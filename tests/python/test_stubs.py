"""The type stubs (.pyi) describe what the runtime has: the same module names, the same
class members, and a property is read-only in the stubs exactly when it is at runtime."""

from __future__ import annotations

import ast
import inspect
from pathlib import Path
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest

import ferromq
import ferromq._native
import ferromq.aio

PKG = Path(ferromq.__file__).parent


def _stub(name: str) -> ast.Module:
    return ast.parse((PKG / name).read_text(), filename=name)


def _public(name: str) -> bool:
    return not name.startswith("_") or name in ("__init__", "__enter__", "__exit__", "__aenter__", "__aexit__")


def _is_typed_dict(node: ast.ClassDef) -> bool:
    return any(ast.unparse(b) == "TypedDict" for b in node.bases)


def _stub_classes(tree: ast.Module) -> Dict[str, Tuple[Set[str], Set[str], Set[str]]]:
    """class name -> (methods, read-only properties, writable attributes); TypedDicts (keys,
    not attributes) are checked apart."""
    out = {}
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or _is_typed_dict(node):
            continue
        methods, read_only, writable = set(), set(), set()
        for item in node.body:
            if isinstance(item, ast.FunctionDef):
                decorators = {ast.unparse(d) for d in item.decorator_list}
                if "property" in decorators:
                    read_only.add(item.name)
                elif any(d.endswith(".setter") for d in decorators):
                    read_only.discard(item.name)
                    writable.add(item.name)
                elif decorators & {"overload", "classmethod", "staticmethod"} or not decorators:
                    methods.add(item.name)
            elif isinstance(item, ast.AsyncFunctionDef):
                methods.add(item.name)
            elif isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name):
                writable.add(item.target.id)
        out[node.name] = (methods, read_only, writable)
    return out


def _stub_module_names(tree: ast.Module) -> Set[str]:
    names = set()
    for node in tree.body:
        if isinstance(node, (ast.ClassDef, ast.FunctionDef)):
            names.add(node.name)
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return {n for n in names if not n.startswith("_") or n == "__version__"}


def _runtime_members(cls: type) -> Set[str]:
    """Members the class itself defines (not inherited), public ones only."""
    return {n for n in vars(cls) if _public(n)}


NATIVE = _stub_classes(_stub("_native.pyi"))
AIO = _stub_classes(_stub("aio.pyi"))


def test_module_names_match() -> None:
    stub = _stub_module_names(_stub("_native.pyi"))
    runtime = {n for n in vars(ferromq._native) if not n.startswith("_") or n == "__version__"}
    assert stub == runtime


def _cases() -> Iterator[object]:
    for name, members in NATIVE.items():
        yield pytest.param(getattr(ferromq._native, name), members, id=f"_native.{name}")
    for name, members in AIO.items():
        yield pytest.param(getattr(ferromq.aio, name), members, id=f"aio.{name}")


@pytest.mark.parametrize("cls, members", list(_cases()))
def test_class_members_match(cls: type, members: Tuple[Set[str], Set[str], Set[str]]) -> None:
    methods, read_only, writable = members
    stub = methods | read_only | writable
    runtime = _runtime_members(cls)
    # The runtime may define __init__ through __new__ (Rust classes) or inherit it.
    assert runtime - {"__init__"} <= stub, f"in the runtime, not in the stub: {runtime - stub}"
    missing = {n for n in stub if not hasattr(cls, n)}
    assert not missing, f"in the stub, not in the runtime: {missing}"


def _instances() -> Iterator[Tuple[object, str, Dict[str, Tuple[Set[str], Set[str], Set[str]]]]]:
    yield ferromq.mqtt(), "mqtt", NATIVE
    yield ferromq.aio.mqtt(), "mqtt", AIO


@pytest.mark.parametrize("obj, name, stubs", list(_instances()), ids=["mqtt", "aio.mqtt"])
def test_read_only_exactly_where_the_stub_says(
    obj: object, name: str, stubs: Dict[str, Tuple[Set[str], Set[str], Set[str]]]
) -> None:
    # Walk the class and its bases: a member's nearest stub decides.
    decided: Dict[str, bool] = {}
    for klass in type(obj).__mro__:
        table = stubs if klass.__module__ == type(obj).__module__ else NATIVE
        entry = table.get(klass.__name__)
        if entry is None:
            continue
        _, read_only, writable = entry
        for n in read_only:
            decided.setdefault(n, True)
        for n in writable:
            decided.setdefault(n, False)
    assert decided, "no stub found for the class"
    for attr, ro in sorted(decided.items()):
        if attr == "connected" and not ro:
            continue  # writing connected connects: covered by scenario_connected_property
        value = getattr(obj, attr)
        if ro:
            with pytest.raises(AttributeError, match="read-only|not writable"):
                setattr(obj, attr, value)
        else:
            setattr(obj, attr, value)
            assert getattr(obj, attr) == value


def test_stub_methods_have_the_runtime_parameters() -> None:
    """Parameter names of the public methods agree (where the runtime exposes them)."""
    tree = _stub("_native.pyi")
    for node in tree.body:
        if not isinstance(node, ast.ClassDef) or node.name not in ("_Client", "mqtt"):
            continue
        cls = getattr(ferromq._native, node.name)
        for item in node.body:
            if not isinstance(item, ast.FunctionDef) or item.name.startswith("_") or item.decorator_list:
                continue
            try:
                sig = inspect.signature(getattr(cls, item.name))
            except (TypeError, ValueError):
                continue
            want = [a.arg for a in item.args.args]
            assert list(sig.parameters) == want, (node.name, item.name)


# The event map and the event classes against the core's description (docs/description.md).

DESCRIPTION = ferromq._native._description()


def _py_names(fields: List[Dict[str, Any]]) -> Tuple[Set[str], Set[str]]:
    """(read-only attributes, writable attributes) of a described field list."""
    read_only: Set[str] = set()
    writable: Set[str] = set()
    for f in fields:
        (writable if f["answer"] else read_only).add(f["name"])
        if f["bytes_name"]:
            read_only.add(f["bytes_name"])
    return read_only, writable


def _module_assignment(tree: ast.Module, name: str) -> ast.expr:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return node.value
    raise AssertionError(f"{name} is not in the stub")


def test_stub_event_map_is_the_description() -> None:
    tree = _stub("_native.pyi")
    names = _module_assignment(tree, "_EventName")
    assert isinstance(names, ast.Subscript) and isinstance(names.slice, ast.Tuple)
    assert [ast.literal_eval(e) for e in names.slice.elts] == [k["name"] for k in DESCRIPTION["events"]]
    assert list(ferromq.EVENT_NAMES) == [k["name"] for k in DESCRIPTION["events"]]
    union = _module_assignment(tree, "_Event")
    assert isinstance(union, ast.Subscript) and isinstance(union.slice, ast.Tuple)
    types = list(dict.fromkeys(k["type_name"] for k in DESCRIPTION["events"]))
    assert [ast.unparse(e) for e in union.slice.elts] == types


@pytest.mark.parametrize("kind", DESCRIPTION["events"], ids=lambda k: k["name"])
def test_stub_event_class_is_the_description(kind: Dict[str, Any]) -> None:
    read_only, writable = _py_names(kind["fields"])
    methods, stub_read_only, stub_writable = NATIVE[kind["type_name"]]
    assert stub_read_only == read_only | {"name"}
    assert stub_writable == writable
    assert not methods
    runtime = getattr(ferromq._native, kind["type_name"])
    assert _runtime_members(runtime) == read_only | writable | {"name"}


def test_stub_message_class_is_the_description() -> None:
    read_only, writable = _py_names(DESCRIPTION["message_fields"])
    assert not writable
    methods, stub_read_only, stub_writable = NATIVE[DESCRIPTION["message_type"]]
    assert (stub_read_only, stub_writable, methods) == (read_only, set(), set())
    assert _runtime_members(getattr(ferromq._native, DESCRIPTION["message_type"])) == read_only


# The annotations of the stubs against the described kinds, and the message properties.

# A message's QoS is one of the three levels (Literal[0, 1, 2]): what publish() takes, so a
# received QoS can be passed on. (SubscribedEvent.qos is -1 for a refusal: a plain int.)
QOS_FIELDS = {("MessageEvent", "qos"), ("MQTTMessage", "qos")}

KIND_TYPES = {"int": "int", "long": "int", "bool": "bool", "text": "str", "bytes": "bytes", "payload": "str"}


def _stub_class(name: str) -> ast.ClassDef:
    for node in _stub("_native.pyi").body:
        if isinstance(node, ast.ClassDef) and node.name == name:
            return node
    raise AssertionError(f"class {name} is not in the stub")


def _property_types(cls: ast.ClassDef) -> Dict[str, str]:
    """Read-only property name -> its annotation, as written."""
    out = {}
    for item in cls.body:
        is_property = isinstance(item, ast.FunctionDef) and "property" in {ast.unparse(d) for d in item.decorator_list}
        if is_property and isinstance(item, ast.FunctionDef) and item.returns is not None:
            out[item.name] = ast.unparse(item.returns)
    return out


def _kind_type(kind: str) -> str:
    if kind == "properties":
        return "MessageProperties"
    return KIND_TYPES[kind]


@pytest.mark.parametrize("kind", DESCRIPTION["events"], ids=lambda k: k["name"])
def test_stub_event_field_types_are_the_description(kind: Dict[str, Any]) -> None:
    types = _property_types(_stub_class(kind["type_name"]))
    for f in kind["fields"]:
        if f["answer"]:
            continue  # a plain annotated attribute, checked by the member tests
        want = "_QoS" if (kind["type_name"], f["name"]) in QOS_FIELDS else _kind_type(f["kind"])
        assert types[f["name"]] == want, (kind["type_name"], f["name"])
        if f["bytes_name"]:
            assert types[f["bytes_name"]] == "bytes", (kind["type_name"], f["bytes_name"])


def test_stub_message_properties_are_the_description() -> None:
    described = DESCRIPTION["message_properties"]
    types = _property_types(_stub_class("MessageProperties"))
    want = {p["name"]: (f"List[{p['type']}]" if p["repeatable"] else f"Optional[{p['type']}]") for p in described}
    assert types == want
    runtime = ferromq.MessageProperties
    assert [n for n in vars(runtime) if not n.startswith("_") and n != "to_dict"] == [p["name"] for p in described]


def test_stub_publish_properties_are_the_description() -> None:
    described = [p for p in DESCRIPTION["message_properties"] if p["publishable"]]
    node = _stub_class("PublishProperties")
    assert _is_typed_dict(node) and any(k.arg == "total" and ast.unparse(k.value) == "False" for k in node.keywords)
    stub = {
        item.target.id: ast.unparse(item.annotation)
        for item in node.body
        if isinstance(item, ast.AnnAssign) and isinstance(item.target, ast.Name)
    }
    assert stub == {p["name"]: p["publish_type"] for p in described}
    runtime = ferromq.PublishProperties
    assert list(runtime.__annotations__) == [p["name"] for p in described]
    assert runtime.__total__ is False


def test_stub_message_qos_is_a_level() -> None:
    assert _property_types(_stub_class(DESCRIPTION["message_type"]))["qos"] == "_QoS"
    assert ast.unparse(_module_assignment(_stub("_native.pyi"), "_QoS")) == "Literal[0, 1, 2]"
    assert ast.unparse(_module_assignment(_stub("_native.pyi"), "_Version")) == "Literal[0, 1]"
    assert ferromq.QoS.__args__ == (0, 1, 2)  # type: ignore[attr-defined]


# on() and off(): one overload per event name and form, typed with the name's event class.


def _overloads(tree: ast.Module, cls: str, method: str) -> List[ast.FunctionDef]:
    for node in tree.body:
        if isinstance(node, ast.ClassDef) and node.name == cls:
            return [
                item
                for item in node.body
                if isinstance(item, ast.FunctionDef)
                and item.name == method
                and "overload" in {ast.unparse(d) for d in item.decorator_list}
            ]
    raise AssertionError(f"class {cls} is not in the stub")


def _typevar_bounds(tree: ast.Module) -> Dict[str, str]:
    """TypeVar name -> its bound, as written."""
    out = {}
    for node in tree.body:
        if (
            isinstance(node, ast.Assign)
            and isinstance(node.value, ast.Call)
            and ast.unparse(node.value.func) == "TypeVar"
        ):
            bound = [k for k in node.value.keywords if k.arg == "bound"]
            if bound and isinstance(node.targets[0], ast.Name):
                out[node.targets[0].id] = ast.unparse(bound[0].value)
    return out


def _event_literal(f: ast.FunctionDef) -> str:
    ann = f.args.args[1].annotation
    assert ann is not None
    text = ast.unparse(ann)
    assert text.startswith("Literal["), (f.name, text)
    name = ast.literal_eval(ann.slice)  # type: ignore[attr-defined]
    assert isinstance(name, str)
    return name


@pytest.mark.parametrize("stub, cls", [("_native.pyi", "_Client"), ("aio.pyi", "mqtt")])
def test_on_overloads_are_the_description(stub: str, cls: str) -> None:
    tree = _stub(stub)
    bounds = _typevar_bounds(_stub("_native.pyi"))
    direct: Dict[str, List[str]] = {}
    decorator: Dict[str, List[str]] = {}
    for f in _overloads(tree, cls, "on"):
        handler = f.args.args[2].annotation
        assert handler is not None and f.returns is not None
        name = _event_literal(f)
        if ast.unparse(handler) == "None":
            # The decorator form: takes and gives back a function of the name's event class.
            ret = ast.unparse(f.returns)
            assert ret.startswith("Callable[[_On"), ret
            var = ret[len("Callable[[") :].split("]")[0]
            assert ret == f"Callable[[{var}], {var}]"
            decorator.setdefault(name, []).append(bounds[var])
        else:
            assert ast.unparse(handler) == ast.unparse(f.returns)
            direct.setdefault(name, []).append(ast.unparse(handler))
        if stub == "aio.pyi":
            assert [ast.unparse(a) for a in f.args.kwonlyargs] == ["concurrent: bool"]
    want = {k["name"]: k["type_name"] for k in DESCRIPTION["events"]}
    assert direct == {n: [f"Callable[[{t}], _R]"] for n, t in want.items()}
    assert decorator == {n: [f"Callable[[{t}], object]"] for n, t in want.items()}


def test_off_overloads_are_the_description() -> None:
    tree = _stub("_native.pyi")
    named: Dict[str, List[str]] = {}
    fallback = 0
    for f in _overloads(tree, "_Client", "off"):
        handler = f.args.args[2].annotation
        assert handler is not None
        if ast.unparse(f.args.args[1].annotation or handler) == "_EventName":
            # Any name (a variable of the Literal type), with a handler that takes any event.
            assert ast.unparse(handler) == "Optional[Callable[[_Event], object]]"
            fallback += 1
            continue
        named.setdefault(_event_literal(f), []).append(ast.unparse(handler))
    want = {k["name"]: k["type_name"] for k in DESCRIPTION["events"]}
    assert named == {n: [f"Optional[Callable[[{t}], object]]"] for n, t in want.items()}
    assert fallback == 1
