"""Every row of the image field tables gives the authors' SIREN: Table 8's (layers, width), w0 30 on
the first layer, hidden w0 10 at 28/32 px and 40 for ImageNet subsets, biases within their layer's
weight bound; param.w0 / param.w0_first override the table, and a saved run decodes with its w0."""

from __future__ import annotations

import math

import pytest
import torch

from ddif_core.parameterization import DDiFOptions, DDiFParameterization
from ddif_image.datasets import DATASETS

ROWS = [(name, size, ipc, row) for name, spec in DATASETS.items() for size, table in spec.fields.items()
        for ipc, row in table.items()]
HIDDEN_W0 = {28: 10.0, 32: 10.0, 128: 40.0, 256: 40.0}


@pytest.mark.parametrize("name,size,ipc,row", ROWS, ids=[f"{r[0]}-{r[1]}px-ipc{r[2]}" for r in ROWS])
def test_table_row_gives_the_authors_siren(name, size, ipc, row):
    spec = DATASETS[name]
    shape = (spec.channels, size, size)
    plan = DDiFParameterization.make_plan(DDiFOptions(), shape, ipc, spec.fields[size])
    assert plan.settings == {"layers": row[0], "width": row[1], "w0_first": 30.0, "w0": HIDDEN_W0[size]}
    syn = DDiFParameterization(DDiFOptions(), plan, shape, 2, generator=torch.Generator().manual_seed(0))
    bank = syn.bank
    assert (bank.w0_first, bank.w0) == (30.0, HIDDEN_W0[size])
    for i, (w, b) in enumerate(zip(bank.weights, bank.biases)):
        bound = 1.0 / 2 if i == 0 else math.sqrt(6.0 / row[1]) / HIDDEN_W0[size]
        for t in (w, b):
            assert float(t.detach().abs().max()) <= bound
        # the draws fill the bound (weights and biases alike), so a narrower or wider bias range fails
        both = torch.cat([w.flatten(), b.flatten()]).detach()
        assert float(both.abs().max()) > 0.9 * bound, f"layer {i}"
        assert float(b.detach().abs().max()) > 0.75 * bound, f"layer {i} biases"


def test_options_override_the_table_and_the_artifact_keeps_them():
    spec = DATASETS["fashion-mnist"]
    opts = DDiFOptions(w0=20.0, w0_first=25.0)
    plan = DDiFParameterization.make_plan(opts, (1, 28, 28), 1, spec.fields[28])
    assert (plan.settings["w0_first"], plan.settings["w0"]) == (25.0, 20.0)
    # decoding a stored set rebuilds the bank from the plan, whatever the options' defaults say now
    rebuilt = DDiFParameterization(DDiFOptions(), plan, (1, 28, 28), 10)
    assert (rebuilt.bank.w0_first, rebuilt.bank.w0) == (25.0, 20.0)
