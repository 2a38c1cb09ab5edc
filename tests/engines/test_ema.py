"""WeightEMA: the average follows the closed form of an exponential moving average and saves loadable weights."""

from __future__ import annotations

import pytest
import torch
from ignite.engine import Engine

from cardio_monai.engines import WeightEMA


def test_average_is_the_exponential_moving_average_and_saves_the_network_keys(tmp_path):
    net = torch.nn.Linear(3, 2)
    ema = WeightEMA(net, decay=0.9, save_path=tmp_path / "ema.pt")
    history = []

    def step(engine, batch):
        with torch.no_grad():
            net.weight.add_(1.0)
        history.append(net.weight.detach().clone())

    engine = Engine(step)
    ema.attach(engine)
    engine.run([0] * 4, max_epochs=1)
    # First update copies the weights; then avg = 0.9 avg + 0.1 w.
    expected = history[0]
    for w in history[1:]:
        expected = 0.9 * expected + 0.1 * w
    torch.testing.assert_close(ema.state_dict()["weight"], expected)
    saved = torch.load(tmp_path / "ema.pt", weights_only=True)
    assert set(saved) == set(net.state_dict())
    torch.nn.Linear(3, 2).load_state_dict(saved)
    with pytest.raises(ValueError, match="decay"):
        WeightEMA(net, decay=1.0)
