#!/usr/bin/env python3
"""Writes the recurrent (LSTM, GRU, RNN) and Scan fixtures for SluiceBackendsTests.

Same folder format as scripts/make_onnx_fixtures.py (whose helpers it uses): each case is
Tests/SluiceBackendsTests/Fixtures/onnx/<case>/{model.onnx,input.json,expected.json}, with
onnxruntime's outputs (one thread, graph optimisations off). The batch is the first input
dimension and dynamic, 8 rows; every output keeps the batch first, so a slice of rows answers
like the same rows of the whole batch.

  lstm_bidirectional  what torch.onnx.export writes for nn.LSTM(5, 4, bidirectional=True,
                      batch_first=True) run on a padded batch: Transpose to time-major, learned
                      initial states Expanded to the batch, sequence_lens counted from the rows'
                      non-zero steps (zero padding at the end; one row is all padding), Y
                      transposed back and reshaped to [batch, seq, 8], h_n and c_n batch-first
  lstm_peepholes      a reverse LSTM with peepholes, input_forget, no Y_h, and the activations
                      HardSigmoid, LeakyRelu and Softsign with their alpha and beta values
  gru_linear_before_reset  nn.GRU(5, 6, batch_first=True) as exported: linear_before_reset=1,
                      no initial state, Y and Y_h batch-first
  rnn_reverse_relu    an RNN with direction reverse, a Relu activation and clip 2 (onnxruntime
                      refuses layout=1; ONNX's *_batchwise node tests cover it)
  scan_cumsum         a Scan (opset 16) over the batch's rows' time axis: a running sum state
                      and the running sum of squares per step as a scan output
  scan_cdist          skl2onnx's cdist pattern (KNeighbors): a Scan over a constant set of
                      points whose body computes each point's squared distance to every row

lstm_layer(seq, features, hidden) builds the LSTM that bench/backend_speed.py times.

Seeded; a rerun with the same libraries writes the same files.
Run: python3 scripts/make_rnn_fixtures.py
"""
import os
import sys

os.environ.setdefault("OMP_NUM_THREADS", "1")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

import numpy as np  # noqa: E402
from onnx import TensorProto, helper, numpy_helper  # noqa: E402

import make_onnx_fixtures as base  # noqa: E402

ROWS = 8
SEQ = 6
FEATURES = 5


def ints(name, values):
    return numpy_helper.from_array(np.asarray(values, dtype=np.int64), name)


def padded_batch(seed):
    """[ROWS, SEQ, FEATURES] rows of random lengths (one full, one empty), zero-padded."""
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(ROWS, SEQ, FEATURES)).astype(np.float32)
    lengths = rng.integers(1, SEQ + 1, size=ROWS)
    lengths[0], lengths[1] = SEQ, 0
    for b, n in enumerate(lengths):
        x[b, n:, :] = 0
    return x


def batch_expand(name, source, per_direction, nodes):
    """Nodes that Expand `source` [D, 1, H] to [D, batch, H], the batch from the input's Shape."""
    nodes += [
        helper.make_node("Shape", ["input"], [f"{name}_shape"]),
        helper.make_node("Gather", [f"{name}_shape", "zero"], [f"{name}_batch"], axis=0),
        helper.make_node("Concat", ["dirs", f"{name}_batch", per_direction], [f"{name}_dims"], axis=0),
        helper.make_node("Expand", [source, f"{name}_dims"], [name]),
    ]


def lstm_bidirectional(seed=60, hidden=4):
    rng = np.random.default_rng(seed)
    init = [
        base.weights(rng, "W", (2, 4 * hidden, FEATURES)), base.weights(rng, "R", (2, 4 * hidden, hidden)),
        base.weights(rng, "B", (2, 8 * hidden), 0.3), base.weights(rng, "h0", (2, 1, hidden), 0.5),
        base.weights(rng, "c0", (2, 1, hidden), 0.5), ints("zero", [0]), ints("dirs", [2]),
        ints("hidden", [hidden]), ints("time_axis", [1]), ints("flat", [0, 0, 2 * hidden]),
        numpy_helper.from_array(np.zeros((), dtype=np.float32), "fzero"),
    ]
    nodes = [
        # sequence_lens: the steps whose first feature is not 0 (padding is all zeros).
        helper.make_node("Gather", ["input", "fzero_index"], ["first"], axis=2),
        helper.make_node("Equal", ["first", "fzero"], ["pad"]),
        helper.make_node("Not", ["pad"], ["real"]),
        helper.make_node("Cast", ["real"], ["real_f"], to=TensorProto.FLOAT),
        helper.make_node("ReduceSum", ["real_f", "time_axis"], ["len_f"], keepdims=0),
        helper.make_node("Cast", ["len_f"], ["lengths"], to=TensorProto.INT32),
        helper.make_node("Transpose", ["input"], ["x_tm"], perm=[1, 0, 2]),
    ]
    init.append(numpy_helper.from_array(np.asarray(0, dtype=np.int64), "fzero_index"))
    batch_expand("h_init", "h0", "hidden", nodes)
    batch_expand("c_init", "c0", "hidden", nodes)
    nodes += [
        helper.make_node("LSTM", ["x_tm", "W", "R", "B", "lengths", "h_init", "c_init"], ["Y", "Y_h", "Y_c"],
                         "/lstm/LSTM", hidden_size=hidden, direction="bidirectional"),
        helper.make_node("Transpose", ["Y"], ["Y_bm"], perm=[2, 0, 1, 3]),
        helper.make_node("Reshape", ["Y_bm", "flat"], ["output"]),
        helper.make_node("Transpose", ["Y_h"], ["h_n"], perm=[1, 0, 2]),
        helper.make_node("Transpose", ["Y_c"], ["c_n"], perm=[1, 0, 2]),
    ]
    return base.network(
        "lstm_bidirectional", nodes, [base.value("input", ["batch", SEQ, FEATURES])],
        [base.value("output", ["batch", SEQ, 2 * hidden]), base.value("h_n", ["batch", 2, hidden]),
         base.value("c_n", ["batch", 2, hidden])], init, 14)


def gru_linear_before_reset(seed=61, hidden=6):
    rng = np.random.default_rng(seed)
    init = [
        base.weights(rng, "W", (1, 3 * hidden, FEATURES)), base.weights(rng, "R", (1, 3 * hidden, hidden)),
        base.weights(rng, "B", (1, 6 * hidden), 0.3),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["x_tm"], perm=[1, 0, 2]),
        helper.make_node("GRU", ["x_tm", "W", "R", "B"], ["Y", "Y_h"], "/gru/GRU", hidden_size=hidden,
                         linear_before_reset=1),
        helper.make_node("Squeeze", ["Y", "dir_axis"], ["Y_s"]),
        helper.make_node("Transpose", ["Y_s"], ["output"], perm=[1, 0, 2]),
        helper.make_node("Transpose", ["Y_h"], ["h_n"], perm=[1, 0, 2]),
    ]
    init.append(ints("dir_axis", [1]))
    return base.network(
        "gru_linear_before_reset", nodes, [base.value("input", ["batch", SEQ, FEATURES])],
        [base.value("output", ["batch", SEQ, hidden]), base.value("h_n", ["batch", 1, hidden])], init, 14)


def rnn_reverse_relu(seed=62, hidden=5):
    rng = np.random.default_rng(seed)
    init = [
        base.weights(rng, "W", (1, hidden, FEATURES)), base.weights(rng, "R", (1, hidden, hidden)),
        base.weights(rng, "B", (1, 2 * hidden), 0.3),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["x_tm"], perm=[1, 0, 2]),
        helper.make_node("RNN", ["x_tm", "W", "R", "B"], ["Y", "Y_h"], "/rnn/RNN", hidden_size=hidden,
                         direction="reverse", activations=["Relu"], clip=2.0),
        helper.make_node("Transpose", ["Y"], ["output"], perm=[2, 0, 1, 3]),
        helper.make_node("Transpose", ["Y_h"], ["h_n"], perm=[1, 0, 2]),
    ]
    return base.network(
        "rnn_reverse_relu", nodes, [base.value("input", ["batch", SEQ, FEATURES])],
        [base.value("output", ["batch", SEQ, 1, hidden]), base.value("h_n", ["batch", 1, hidden])], init, 14)


def lstm_peepholes(seed=70, hidden=3):
    """A reverse LSTM with peepholes, input_forget and the activations HardSigmoid(0.3, 0.4),
    LeakyRelu(0.2) and Softsign (no exporter writes these; ONNX's attributes allow them)."""
    rng = np.random.default_rng(seed)
    init = [
        base.weights(rng, "W", (1, 4 * hidden, FEATURES)), base.weights(rng, "R", (1, 4 * hidden, hidden)),
        base.weights(rng, "B", (1, 8 * hidden), 0.3), base.weights(rng, "P", (1, 3 * hidden), 0.5),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["x_tm"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["x_tm", "W", "R", "B", "", "", "", "P"], ["Y", "", "Y_c"], "/lstm/LSTM",
                         hidden_size=hidden, direction="reverse", input_forget=1,
                         activations=["HardSigmoid", "LeakyRelu", "Softsign"], activation_alpha=[0.3, 0.2],
                         activation_beta=[0.4]),
        helper.make_node("Transpose", ["Y"], ["output"], perm=[2, 0, 1, 3]),
        helper.make_node("Transpose", ["Y_c"], ["c_n"], perm=[1, 0, 2]),
    ]
    return base.network(
        "lstm_peepholes", nodes, [base.value("input", ["batch", SEQ, FEATURES])],
        [base.value("output", ["batch", SEQ, 1, hidden]), base.value("c_n", ["batch", 1, hidden])], init, 14)


def lstm_layer(seq, features, hidden, seed=69):
    """nn.LSTM(features, hidden, batch_first=True) as torch.onnx.export writes it, for
    bench/backend_speed.py: input [batch, seq, features], output [batch, seq, hidden]."""
    rng = np.random.default_rng(seed)
    init = [
        base.weights(rng, "W", (1, 4 * hidden, features)), base.weights(rng, "R", (1, 4 * hidden, hidden)),
        base.weights(rng, "B", (1, 8 * hidden), 0.1), ints("dir_axis", [1]),
    ]
    nodes = [
        helper.make_node("Transpose", ["input"], ["x_tm"], perm=[1, 0, 2]),
        helper.make_node("LSTM", ["x_tm", "W", "R", "B"], ["Y"], "/lstm/LSTM", hidden_size=hidden),
        helper.make_node("Squeeze", ["Y", "dir_axis"], ["Y_s"]),
        helper.make_node("Transpose", ["Y_s"], ["output"], perm=[1, 0, 2]),
    ]
    return base.network("lstm_layer", nodes, [base.value("input", ["batch", seq, features])],
                        [base.value("output", ["batch", seq, hidden])], init, 14)


def scan_cumsum():
    """x [batch, SEQ, FEATURES]: a running sum of x over time (the state, answered at the end) and,
    per step, the running sum times the step read backwards, stacked in reverse along axis 1."""
    body = helper.make_graph(
        [helper.make_node("Add", ["sum_in", "x_fwd"], ["sum_out"]),
         helper.make_node("Mul", ["sum_out", "x_bwd"], ["y_step"])],
        "cumsum_body",
        [base.value("sum_in", ["batch", FEATURES]), base.value("x_fwd", ["batch", FEATURES]),
         base.value("x_bwd", ["batch", FEATURES])],
        [base.value("sum_out", ["batch", FEATURES]), base.value("y_step", ["batch", FEATURES])])
    nodes = [
        helper.make_node("Gather", ["input", "zero"], ["first"], axis=1),
        helper.make_node("Sub", ["first", "first"], ["sum0"]),
        helper.make_node("Scan", ["sum0", "input", "input"], ["total", "steps"], "/scan/Scan", body=body,
                         num_scan_inputs=2, scan_input_axes=[1, 1], scan_input_directions=[0, 1],
                         scan_output_axes=[1], scan_output_directions=[1]),
    ]
    init = [numpy_helper.from_array(np.asarray(0, dtype=np.int64), "zero")]
    return base.network(
        "scan_cumsum", nodes, [base.value("input", ["batch", SEQ, FEATURES])],
        [base.value("total", ["batch", FEATURES]), base.value("steps", ["batch", SEQ, FEATURES])], init, 16)


def scan_cdist(seed=66, points=7, cols=4):
    """skl2onnx's cdist (its KNeighbors models): the rows X ride along as the Scan's state and
    each constant point is a scan input; the body answers the squared distances to every row."""
    rng = np.random.default_rng(seed)
    body = helper.make_graph(
        [helper.make_node("Identity", ["next_in"], ["next_out"]),
         helper.make_node("Sub", ["next_in", "next"], ["diff"]),
         helper.make_node("Mul", ["diff", "diff"], ["square"]),
         helper.make_node("ReduceSum", ["square", "one"], ["scan_out"], keepdims=0)],
        "cdist_body",
        [base.value("next_in", ["batch", cols]), base.value("next", [cols])],
        [base.value("next_out", ["batch", cols]), base.value("scan_out", ["batch"])],
        [ints("one", [1])])
    init = [numpy_helper.from_array(rng.normal(size=(points, cols)).astype(np.float32), "points")]
    nodes = [
        helper.make_node("Scan", ["input", "points"], ["rows", "squared"], "/cdist/Scan", body=body,
                         num_scan_inputs=1),
        helper.make_node("Transpose", ["squared"], ["squared_t"], perm=[1, 0]),
        helper.make_node("Sqrt", ["squared_t"], ["distances"]),
    ]
    return base.network(
        "scan_cdist", nodes, [base.value("input", ["batch", cols])],
        [base.value("distances", ["batch", points])], init, 16)


def main():
    base.write_case("lstm_bidirectional", lstm_bidirectional(), padded_batch(63), "LSTM")
    base.write_case("gru_linear_before_reset", gru_linear_before_reset(), padded_batch(64), "GRU")
    base.write_case("lstm_peepholes", lstm_peepholes(), padded_batch(71), "LSTM")
    base.write_case("rnn_reverse_relu", rnn_reverse_relu(), padded_batch(65), "RNN")
    base.write_case("scan_cumsum", scan_cumsum(), np.random.default_rng(67).normal(size=(ROWS, SEQ, FEATURES))
                    .astype(np.float32), "Scan")
    base.write_case("scan_cdist", scan_cdist(), np.random.default_rng(68).normal(size=(ROWS, 4)).astype(np.float32),
                    "Scan (cdist)")


if __name__ == "__main__":
    main()
