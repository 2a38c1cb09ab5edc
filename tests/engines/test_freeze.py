"""FreezeForEpochs in a MONAI SupervisedTrainer: the frozen part keeps its weights exactly for the first
epochs while the rest trains, then trains too; a resumed run freezes as an uninterrupted one. And the SFERA
bundle's finetune.json attaches it to the encoder."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import torch
from monai.bundle import ConfigParser
from monai.engines import SupervisedTrainer

from cardio_monai.engines import FreezeForEpochs

SFERA_CONFIGS = Path(__file__).resolve().parents[2] / "bundles" / "cardiac_sfera_regression" / "configs"


def _trainer(net: torch.nn.Sequential, epochs: int, freeze: int) -> SupervisedTrainer:
    g = torch.Generator().manual_seed(0)
    x = torch.randn(16, 3, generator=g)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    data = [{"image": x[i : i + 4], "label": y[i : i + 4]} for i in range(0, 16, 4)]
    opt = torch.optim.Adam(net.parameters(), lr=0.05)
    return SupervisedTrainer(
        device=torch.device("cpu"),
        max_epochs=epochs,
        train_data_loader=data,
        network=net,
        optimizer=opt,
        loss_function=torch.nn.MSELoss(),
        train_handlers=[FreezeForEpochs(net[0], freeze)],
        amp=False,
    )


def _net() -> torch.nn.Sequential:
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(3, 8), torch.nn.ReLU(), torch.nn.Linear(8, 1))


def test_frozen_for_the_first_epochs_then_trained():
    net = _net()
    start = copy.deepcopy(net.state_dict())
    _trainer(net, epochs=2, freeze=2).run()
    assert torch.equal(net[0].weight, start["0.weight"]) and torch.equal(net[0].bias, start["0.bias"])
    assert not torch.equal(net[2].weight, start["2.weight"])  # the rest trained
    assert all(p.requires_grad for p in net.parameters())

    later = _net()
    trainer = _trainer(later, epochs=3, freeze=2)
    trainer.run()
    assert not torch.equal(later[0].weight, start["0.weight"])  # epoch 3 trains it

    resumed = _net()
    trainer = _trainer(resumed, epochs=3, freeze=2)
    trainer.state.epoch, trainer.state.iteration = 1, 4  # as a CheckpointLoader leaves a run resumed at epoch 1
    trainer.run()
    assert not torch.equal(resumed[0].weight, start["0.weight"])

    never = _net()
    _trainer(never, epochs=1, freeze=0).run()
    assert not torch.equal(never[0].weight, start["0.weight"])
    with pytest.raises(ValueError, match="epochs"):
        FreezeForEpochs(net, -1)


def test_finetune_json_freezes_the_encoder_on_every_rank():
    files = [str(SFERA_CONFIGS / f) for f in ("train.json", "finetune.json")]
    config = ConfigParser.load_config_files(files)
    freeze = [h for h in config["train"]["handlers"] if h["_target_"].endswith("FreezeForEpochs")]
    assert freeze == [
        {
            "_target_": "cardio_monai.engines.FreezeForEpochs",
            "module": "$@network.network.encoder",
            "epochs": "@freeze_encoder_epochs",
        }
    ]
    assert config["freeze_encoder_epochs"] == 0 and "$import cardio_monai.engines" in config["imports"]
    parser = ConfigParser(config)
    parser.update({"freeze_encoder_epochs": 3, "device": "$torch.device('cpu')"})
    handler = parser.get_parsed_content(f"train#handlers#{len(config['train']['handlers']) - 1}")
    assert isinstance(handler, FreezeForEpochs) and handler.epochs == 3
    assert handler.module is parser.get_parsed_content("network").network.encoder
