"""The GauGAN generator scripts with TorchScript and computes exactly what MONAI's ``SPADENet`` computes."""

from __future__ import annotations

import torch
from monai.networks.nets import SPADENet

from cardio_monai.networks.gaugan import SPADEGenerator, labels_to_onehot


def test_generator_scripts_and_equals_monai_spadenet_with_the_same_weights():
    torch.manual_seed(0)
    g = SPADEGenerator(phases=2, image_size=32, channels=(16, 8), spade_hidden=8).eval()
    ref = SPADENet(
        spatial_dims=2,
        in_channels=2,
        out_channels=2,
        label_nc=8,
        input_shape=(32, 32),
        channels=[16, 8],
        is_vae=False,
        spade_intermediate_channels=8,
        last_act="SIGMOID",
    ).eval()
    state = g.state_dict()
    assert all(k.startswith("net.decoder.") for k in state)  # SPADENet's parameter names under "net."
    ref.load_state_dict({k.removeprefix("net."): v for k, v in state.items()}, strict=True)
    scripted = torch.jit.script(g)
    x = labels_to_onehot(torch.randint(0, 4, (3, 2, 32, 32)))
    with torch.no_grad():
        eager, monai_out, ts_out = g(x), ref(x)[0], scripted(x)
    torch.testing.assert_close(eager, monai_out, atol=0, rtol=0)
    torch.testing.assert_close(ts_out, eager, atol=1e-6, rtol=0)
