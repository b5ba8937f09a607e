#!/usr/bin/env python3
"""Writes the string-tensor ONNX fixtures for SluiceBackendsTests (issue 18).

Each case is a folder Tests/SluiceBackendsTests/Fixtures/onnx_strings/<case>/ holding:

  model.onnx     a scikit-learn pipeline exported by skl2onnx (zipmap=False), or a graph built
                 with onnx.helper. The batch dimension is dynamic.
  input.json     {"inputs": [{"name": ..., "datatype": "BYTES"|"FP32"|"INT64", "shape": [...],
                              "data": [row-major; BYTES as text]}, ...]}: several inputs,
                 strings among them (the single-input fixtures of make_onnx_fixtures.py keep
                 their own format).
  expected.json  {"objective": ..., "rtol": 1e-5, "output_names": [...],
                  "batches": [{"rows": n, "outputs": {<name>: {"shape", "datatype", "data"}}}]}
                 onnxruntime's answers (one thread, optimisations off) for the first n rows of
                 every input, n = all of them (at least 8), 1 and 0 (0 left out where
                 onnxruntime refuses it: its StringNormalizer takes no empty input).

Fixtures/onnx_strings/bad/ holds models the loader must refuse, naming why:
  tfidf_tokenexp.onnx  skl2onnx's default TfidfVectorizer export, whose com.microsoft
                       Tokenizer splits by a regular expression (tokenexp)

Seeded; a rerun with the same libraries writes the same files.
Needs: pip install scikit-learn skl2onnx onnx onnxruntime pandas
Run: python3 scripts/make_string_fixtures.py
"""
import json
import os
import warnings

os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402
import onnx  # noqa: E402
from make_onnx_fixtures import session  # noqa: E402
import pandas as pd  # noqa: E402
from onnx import TensorProto, helper  # noqa: E402
from skl2onnx import convert_sklearn  # noqa: E402
from skl2onnx.common.data_types import FloatTensorType, StringTensorType  # noqa: E402
from sklearn.compose import ColumnTransformer  # noqa: E402
from sklearn.ensemble import RandomForestClassifier  # noqa: E402
from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.pipeline import Pipeline  # noqa: E402
from sklearn.preprocessing import OneHotEncoder, StandardScaler  # noqa: E402

warnings.filterwarnings("ignore")

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "Tests", "SluiceBackendsTests", "Fixtures", "onnx_strings")
TARGET_OPSET = {"": 17, "ai.onnx.ml": 3}
DATATYPES = {np.dtype(np.float32): "FP32", np.dtype(np.int64): "INT64", np.dtype(np.bool_): "BOOL"}


def tensor(values):
    values = np.asarray(values)
    flat = values.reshape(-1)
    if values.dtype.kind in "OUS":
        return {"shape": list(values.shape), "datatype": "BYTES", "data": [str(v) for v in flat]}
    datatype = DATATYPES[values.dtype]
    if datatype == "FP32":
        data = [float(v) for v in flat]
    elif datatype == "BOOL":
        data = [bool(v) for v in flat]
    else:
        data = [int(v) for v in flat]
    return {"shape": list(values.shape), "datatype": datatype, "data": data}


def sorted_imports(onx):
    # skl2onnx lists opset imports in set order, which changes with PYTHONHASHSEED.
    imports = sorted(onx.opset_import, key=lambda o: o.domain)
    del onx.opset_import[:]
    onx.opset_import.extend(imports)
    return onx


def write_case(name, model, inputs, objective, rtol=1e-5):
    """Runs `model` on the first n rows of `inputs` (name -> array) for n = all, 1, 0."""
    data = model.SerializeToString()
    sess = session(data)
    names = [o.name for o in sess.get_outputs()]
    rows = len(next(iter(inputs.values())))
    batches = []
    for n in (rows, 1, 0):
        feed = {k: v[:n] for k, v in inputs.items()}
        try:
            results = sess.run(names, feed)
        except Exception as error:  # noqa: BLE001
            # onnxruntime's StringNormalizer refuses an empty input; the test checks Sluice
            # answers 0 rows for 0 rows itself.
            assert n == 0, error
            print(f"  {name}: onnxruntime refuses 0 rows ({str(error).splitlines()[0][-80:]})")
            continue
        batches.append({"rows": n, "outputs": {k: tensor(v) for k, v in zip(names, results)}})
    folder = os.path.join(ROOT, name)
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, "model.onnx"), "wb") as f:
        f.write(data)
    with open(os.path.join(folder, "input.json"), "w") as f:
        json.dump({"inputs": [dict(name=k, **tensor(v)) for k, v in inputs.items()]}, f)
    with open(os.path.join(folder, "expected.json"), "w") as f:
        json.dump({"objective": objective, "rtol": rtol, "output_names": names, "batches": batches}, f)
    ops = sorted({n.op_type for n in model.graph.node})
    print(f"{name:28s} {' '.join(ops)}")


def strings(values):
    return np.asarray(values, dtype=object)


def column_transformer():
    """OneHotEncoder on two string columns and StandardScaler on two numbers, then a
    LogisticRegression: four inputs, two BYTES and two FP32. Test rows include a category
    never seen in training (handle_unknown='ignore': all zeros)."""
    name = "column_transformer"
    rng = np.random.RandomState(18)
    n = 200
    colors = np.array(["red", "green", "blue"])[rng.randint(0, 3, n)]
    sizes = np.array(["S", "M", "L", "XL"])[rng.randint(0, 4, n)]
    num = rng.randn(n, 2).astype(np.float32)
    y = ((colors == "red") * 1.0 + num[:, 0] + (sizes == "XL") * 0.8 + 0.3 * rng.randn(n) > 0.7).astype(int)
    y += (num[:, 1] > 1.0).astype(int)
    frame = pd.DataFrame({"color": colors, "size": sizes, "a": num[:, 0], "b": num[:, 1]})
    ct = ColumnTransformer([("oh", OneHotEncoder(handle_unknown="ignore"), ["color", "size"]),
                            ("sc", StandardScaler(), ["a", "b"])])
    model = Pipeline([("ct", ct), ("lr", LogisticRegression())]).fit(frame, y)
    onx = convert_sklearn(
        model, initial_types=[("color", StringTensorType([None, 1])), ("size", StringTensorType([None, 1])),
                              ("a", FloatTensorType([None, 1])), ("b", FloatTensorType([None, 1]))],
        options={id(model.steps[-1][1]): {"zipmap": False}}, target_opset=TARGET_OPSET, name=name)
    test = rng.randn(9, 2).astype(np.float32)
    inputs = {
        "color": strings([["red"], ["green"], ["blue"], ["purple"], ["red"], ["blue"], ["green"], [""], ["red"]]),
        "size": strings([["S"], ["XL"], ["M"], ["L"], ["XXL"], ["XL"], ["S"], ["M"], ["L"]]),
        "a": test[:, :1], "b": test[:, 1:],
    }
    write_case("column_transformer", sorted_imports(onx), inputs, "ColumnTransformer+LogisticRegression")


DOCS = [
    "the cat sat on the mat", "dogs and cats, living together", "The quick brown fox jumps over the lazy dog",
    "hello world. hello again", "a dog and a cat", "is the cat on the mat? no, the dog is",
    "fox and dog and cat", "world of cats", "quick quick quick", "nothing in common here",
]


def tfidf(tokenexp):
    """TfidfVectorizer (unigrams and bigrams) + LogisticRegression on one BYTES input.
    skl2onnx always emits StringNormalizer, com.microsoft Tokenizer and TfIdfVectorizer; with
    options {'tokenexp': None, 'separators': [...]} the Tokenizer splits at literal separators,
    which Sluice runs; by default it uses a regular expression, which Sluice refuses."""
    name = "tfidf_tokenexp" if tokenexp else "tfidf_logreg"
    y = [0, 1, 0, 1, 1, 0, 1, 1, 0, 0]
    model = Pipeline([("tf", TfidfVectorizer(ngram_range=(1, 2))), ("lr", LogisticRegression())]).fit(DOCS, y)
    options = {id(model.steps[-1][1]): {"zipmap": False}}
    if not tokenexp:
        options[id(model.steps[0][1])] = {"tokenexp": None, "separators": [" ", ",", "\\.", "\\?", "!"]}
    onx = sorted_imports(convert_sklearn(
        model, initial_types=[("text", StringTensorType([None, 1]))], options=options, target_opset=TARGET_OPSET, name=name))
    if tokenexp:
        os.makedirs(os.path.join(ROOT, "bad"), exist_ok=True)
        with open(os.path.join(ROOT, "bad", "tfidf_tokenexp.onnx"), "wb") as f:
            f.write(onx.SerializeToString())
        return
    # onnxruntime builds the StringNormalizer's locale (en_US.UTF-8 by default), which this
    # machine does not have; C.UTF-8 maps case the same for these texts.
    for node in onx.graph.node:
        if node.op_type == "StringNormalizer":
            node.attribute.append(helper.make_attribute("locale", "C.UTF-8"))
    texts = DOCS[:6] + ["Cats AND Dogs", "", "unknown words only", "the the the cat cat"]
    write_case("tfidf_logreg", onx, {"text": strings([[t] for t in texts])}, "TfidfVectorizer+LogisticRegression")


def string_labels():
    """A RandomForest and a LogisticRegression trained on string class labels: their label
    outputs are BYTES (classlabels_strings)."""
    rng = np.random.RandomState(7)
    x = rng.randn(300, 4).astype(np.float32)
    labels = np.array(["cat", "dog", "fish"])[np.digitize(x[:, 0] + 0.5 * x[:, 1], [-0.5, 0.5])]
    test = rng.randn(9, 4).astype(np.float32)
    for name, model in [("string_labels_forest", RandomForestClassifier(n_estimators=5, max_depth=4, random_state=0)),
                        ("string_labels_logreg", LogisticRegression())]:
        model.fit(x, labels)
        onx = sorted_imports(convert_sklearn(
            model, initial_types=[("input", FloatTensorType([None, 4]))],
            options={id(model): {"zipmap": False}}, target_opset=TARGET_OPSET, name=name))
        write_case(name, onx, {"input": test}, type(model).__name__ + " on string labels", 1e-6 if "forest" in name else 1e-5)


def label_encoders():
    """LabelEncoder in both directions: opset 1 (classes_strings), opset 2 (keys_strings/values_int64s, keys_int64s/
    values_strings, keys_strings/values_floats) and opset 4 (keys_tensor/values_tensor/
    default_tensor), with keys absent from the table (the defaults)."""
    s = helper.make_tensor_value_info("s", TensorProto.STRING, ["N"])
    k = helper.make_tensor_value_info("k", TensorProto.INT64, ["N"])
    outs = [helper.make_tensor_value_info("ids", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("names", TensorProto.STRING, ["N"]),
            helper.make_tensor_value_info("scores", TensorProto.FLOAT, ["N"])]
    ml = "ai.onnx.ml"
    nodes = [
        helper.make_node("LabelEncoder", ["s"], ["ids"], domain=ml, keys_strings=["a", "b", "c"],
                         values_int64s=[10, 20, 30], default_int64=-7),
        helper.make_node("LabelEncoder", ["k"], ["names"], domain=ml, keys_int64s=[1, 2, 3],
                         values_strings=["one", "two", "three"], default_string="many"),
        helper.make_node("LabelEncoder", ["s"], ["scores"], domain=ml, keys_strings=["a", "c"],
                         values_floats=[0.5, -1.25]),
    ]
    graph = helper.make_graph(nodes, "label_encoder_v2", [s, k], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ml, 2)], ir_version=9)
    inputs = {"s": strings(["a", "b", "z", "c", "", "a", "c", "b", "b"]),
              "k": np.array([1, 2, 3, 4, -1, 3, 2, 1, 0], dtype=np.int64)}
    write_case("label_encoder_v2", model, inputs, "LabelEncoder (opset 2)")

    outs = [helper.make_tensor_value_info("ids", TensorProto.INT64, ["N"]),
            helper.make_tensor_value_info("names", TensorProto.STRING, ["N"])]
    nodes = [
        helper.make_node("LabelEncoder", ["s"], ["ids"], domain=ml, classes_strings=["a", "b", "c"], default_int64=-3),
        helper.make_node("LabelEncoder", ["k"], ["names"], domain=ml, classes_strings=["zero", "one", "two"],
                         default_string="none"),
    ]
    graph = helper.make_graph(nodes, "label_encoder_v1", [s, k], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ml, 1)], ir_version=9)
    write_case("label_encoder_v1", model, inputs, "LabelEncoder (opset 1)")

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"])
    outs = [helper.make_tensor_value_info("names", TensorProto.STRING, ["N"]),
            helper.make_tensor_value_info("upper", TensorProto.STRING, ["N"])]
    nodes = [
        helper.make_node("LabelEncoder", ["x"], ["names"], domain=ml,
                         keys_tensor=helper.make_tensor("k", TensorProto.FLOAT, [3], [0.5, 1.0, -2.0]),
                         values_tensor=helper.make_tensor("v", TensorProto.STRING, [3], [b"half", b"one", b"minus two"]),
                         default_tensor=helper.make_tensor("d", TensorProto.STRING, [1], [b"other"])),
        helper.make_node("LabelEncoder", ["s"], ["upper"], domain=ml,
                         keys_tensor=helper.make_tensor("k2", TensorProto.STRING, [2], [b"a", b"b"]),
                         values_tensor=helper.make_tensor("v2", TensorProto.STRING, [2], [b"A", b"B"]),
                         default_tensor=helper.make_tensor("d2", TensorProto.STRING, [1], [b"?"])),
    ]
    graph = helper.make_graph(nodes, "label_encoder_v4", [x, s], outs)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17), helper.make_opsetid(ml, 4)], ir_version=9)
    inputs = {"x": np.array([0.5, 1.0, -2.0, 3.0, 0.0, 1.0, 0.5, -2.0, 7.5], dtype=np.float32),
              "s": strings(["a", "b", "z", "c", "", "a", "c", "b", "b"])}
    write_case("label_encoder_v4", model, inputs, "LabelEncoder (opset 4)")


def string_graph():
    """Strings through the default domain's byte-moving operators and Equal and Cast:
    s [N, 2] BYTES and x [N] FP32 in; Transpose, Concat, Reshape, Gather, Flatten, Unsqueeze,
    Squeeze, Identity and Equal with a constant string and a Constant node's value_strings; Cast x to INT64, to STRING and to FP32
    (floats to strings are refused: ONNX and onnxruntime format them differently); and the
    ai.onnx.ml OneHotEncoder (on strings and on int64s) and CategoryMapper both ways."""
    s = helper.make_tensor_value_info("s", TensorProto.STRING, ["N", 2])
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N"])
    red = helper.make_tensor("red", TensorProto.STRING, [], [b"red"])
    idx = helper.make_tensor("idx", TensorProto.INT64, [2], [1, 0])
    shape = helper.make_tensor("shape", TensorProto.INT64, [2], [-1, 1])
    axes = helper.make_tensor("axes", TensorProto.INT64, [1], [2])
    ml = "ai.onnx.ml"
    nodes = [
        helper.make_node("Concat", ["s", "s"], ["wide"], axis=1),
        helper.make_node("Gather", ["wide", "idx"], ["swapped"], axis=1),
        helper.make_node("Transpose", ["swapped"], ["t"], perm=[1, 0]),
        helper.make_node("Reshape", ["s", "shape"], ["column"]),
        helper.make_node("Unsqueeze", ["s", "axes"], ["deep"]),
        helper.make_node("Squeeze", ["deep", "axes"], ["flat0"]),
        helper.make_node("Flatten", ["flat0"], ["flat"], axis=0),
        helper.make_node("Identity", ["flat"], ["same"]),
        helper.make_node("Equal", ["s", "red"], ["is_red"]),
        helper.make_node("Constant", [], ["pair"], value_strings=["red", "blue"]),
        helper.make_node("Equal", ["s", "pair"], ["is_pair"]),
        helper.make_node("Cast", ["x"], ["x_int"], to=TensorProto.INT64),
        helper.make_node("Cast", ["x_int"], ["x_text"], to=TensorProto.STRING),
        helper.make_node("Cast", ["x_text"], ["x_back"], to=TensorProto.FLOAT),
        helper.make_node("OneHotEncoder", ["s"], ["onehot"], domain=ml, cats_strings=["red", "green", "blue"], zeros=1),
        helper.make_node("CategoryMapper", ["s"], ["codes"], domain=ml, cats_strings=["red", "green", "blue"],
                         cats_int64s=[1, 2, 3], default_int64=0),
        helper.make_node("OneHotEncoder", ["codes"], ["code_onehot"], domain=ml, cats_int64s=[3, 1, 0], zeros=1),
        helper.make_node("CategoryMapper", ["codes"], ["names"], domain=ml, cats_strings=["RED", "GREEN", "BLUE"],
                         cats_int64s=[1, 2, 3], default_string="NONE"),
    ]
    outs = [helper.make_tensor_value_info(n, t, None) for n, t in [
        ("t", TensorProto.STRING), ("column", TensorProto.STRING), ("same", TensorProto.STRING),
        ("is_red", TensorProto.BOOL), ("is_pair", TensorProto.BOOL), ("x_text", TensorProto.STRING), ("x_back", TensorProto.FLOAT),
        ("onehot", TensorProto.FLOAT), ("codes", TensorProto.INT64), ("code_onehot", TensorProto.FLOAT), ("names", TensorProto.STRING)]]
    graph = helper.make_graph(nodes, "string_graph", [s, x], outs, initializer=[red, idx, shape, axes])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 19), helper.make_opsetid(ml, 3)], ir_version=9)  # Equal takes strings from 19
    colors = ["red", "green", "blue", "teal", "", "red"]
    rng = np.random.RandomState(3)
    inputs = {"s": strings([[colors[(i * 5 + j) % 6] for j in range(2)] for i in range(9)]),
              "x": np.array([0.5, -1.25, 3.0, -7e9, 123456.0, 0.1, 2.5e-5, -0.0, 7.0], dtype=np.float32)}
    del rng
    write_case("string_graph", model, inputs, "strings through Concat/Gather/Transpose/Reshape/Equal/Cast/OneHotEncoder/CategoryMapper")


if __name__ == "__main__":
    column_transformer()
    tfidf(tokenexp=False)
    tfidf(tokenexp=True)
    string_labels()
    label_encoders()
    string_graph()
