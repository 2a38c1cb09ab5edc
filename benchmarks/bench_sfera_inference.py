"""SFERA inference time per 10-slice study (model loaded, no grad, 2 CPU threads) against a MONAI 2D UNet
segmentation pass over the same stack (10 slices x ED/ES = 20 frames), measured in the same run.

Variants: the paper profile (150 px, 32 base channels, 5 blocks) with the pooling at the end of every
residual block or in its middle, each eager and as a frozen TorchScript module (what
``ckpt_export`` + ``torch.jit.freeze`` give a deployment), and the CPU profile the shipped weights use.
The UNet is the one users would run instead: 16-256 channels, 2 residual units, 160 px (150 padded to a
multiple of 16).

Run ``python benchmarks/bench_sfera_inference.py [--write] [--repeats N] [--device cpu|cuda]``.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import torch
from monai.networks.nets import UNet

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _report import median, report, table, time_once, verdict

from cardio_monai.networks import SFERA, SFERARegressor

NAME = "bench_sfera_inference"
BUDGET_S = 0.15
SLICES = 10


def regressor(size: int, base: int, block_pooling: str) -> SFERARegressor:
    net = SFERA(base_channels=base, input_size=size, block_pooling=block_pooling, sequence_pooling="sum")
    model = SFERARegressor(net)
    g = torch.Generator().manual_seed(0)  # a fitted-looking head: timing does not depend on the values
    model.head.fit(torch.randn(8, net.sequence_dim, generator=g), torch.rand(8, 2, generator=g))
    return model.eval()


def frozen(model: torch.nn.Module) -> torch.nn.Module:
    return torch.jit.freeze(torch.jit.script(model).eval())


def seconds(fn, repeats: int, sync) -> float:
    with torch.inference_mode():
        for _ in range(3):
            fn()
        sync()
        return median([time_once(lambda: (fn(), sync())) for _ in range(repeats)])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help="rewrite this section of docs/benchmarks.md")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    dev = torch.device(args.device)
    sync = torch.cuda.synchronize if dev.type == "cuda" else (lambda: None)
    spacing = torch.tensor([10.0], device=dev)

    unet = UNet(2, 1, 4, channels=(16, 32, 64, 128, 256), strides=(2, 2, 2, 2), num_res_units=2).eval().to(dev)
    frames = torch.rand(2 * SLICES, 1, 160, 160, device=dev)
    t_unet = seconds(lambda: unet(frames), args.repeats, sync)

    rows, paper = [], {}
    for label, size, base, pool in (
        ("paper profile, pool at block end", 150, 32, "end"),
        ("paper profile, pool mid-block", 150, 32, "middle"),
        ("shipped CPU profile (100 px, 16 ch)", 100, 16, "end"),
    ):
        model = regressor(size, base, pool).to(dev)
        image = torch.rand(1, 2, SLICES, size, size, device=dev)
        for kind, m in (("eager", model), ("frozen TorchScript", frozen(model))):
            t = seconds(lambda m=m, image=image: m(image, spacing), args.repeats, sync)
            rows.append([f"SFERA {label}", kind, t, t / t_unet])
            if size == 150:
                paper[(pool, kind)] = t
    rows.append(["MONAI UNet 2D (16-256 ch, 2 res units), 20 frames of 160 px", "eager", t_unet, 1.0])
    tab = table(["model (10-slice study)", "mode", "seconds", "ratio to UNet"], rows)
    best = min(paper, key=paper.get)
    summary = (
        f"Fastest paper-profile SFERA: pool {best[0]}, {best[1]}: {paper[best]:.3f} s per study on "
        f"{args.threads} {dev.type} thread(s), {paper[best] / t_unet:.2f}x the UNet pass. "
        f"Eager with the paper's block layout: {paper[('end', 'eager')]:.3f} s. "
        + verdict(paper[best] <= BUDGET_S, f"<= {BUDGET_S} s per 10-slice study")
    )
    report(NAME, f"SFERA inference vs a MONAI 2D UNet ({dev.type})", tab, summary, args.write)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
