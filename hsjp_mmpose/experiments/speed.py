# Copyright (c) hsjp-mmpose contributors.
"""Speed ratios measured in one run, on the same images (issue targets in brackets).

1. data pipeline, one process: stock supervised top-down pipeline vs the HSJP pipeline
   (the same plus RandomJigsaw and HeatmapJigsaw)                       [HSJP >= 0.95x]
2. codec: HeatmapJigsaw.encode for 4x4 vs MSRAHeatmap.encode for 17 keypoints at the same
   heatmap size [no slower]; assignment decode per sample for 4x4      [< 1 ms]
3. train step (forward, backward, Adam): HSJP vs supervised, same backbone and input
                                                                          [<= 1.02x]
4. a whole ``mim train`` iteration vs the bare forward + backward of the same model
                                                                          [<= 1.10x]

Uses the small configs (ResNet-18 at half width, 128x96) on generated people;
``tools/benchmark_speed.py`` is the command line.
"""
import json
import re
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
SUPERVISED = REPO / 'configs/finetune/td-hm_res18-half_scratch_1xb32-30e_synthetic-128x96.py'
HSJP = REPO / 'configs/hsjp/hsjp_res18-half_1xb32-30e_synthetic-person-128x96.py'


def _median_seconds(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def _dataset(config: Path, data_root: Path):
    from mmengine.config import Config
    from mmpose.registry import DATASETS
    cfg = Config.fromfile(str(config))
    cfg.train_dataloader.dataset.data_root = str(data_root) + '/'
    return cfg, DATASETS.build(cfg.train_dataloader.dataset)


def pipeline_throughput(data_root: Path, num_samples: int) -> dict:
    out = {}
    for name, config in (('supervised', SUPERVISED), ('hsjp', HSJP)):
        _, dataset = _dataset(config, data_root)
        n = min(num_samples, len(dataset))
        dataset[0]  # warm-up
        seconds = _median_seconds(lambda: [dataset[i] for i in range(n)], 3)
        out[f'{name}_samples_per_s'] = n / seconds
    out['ratio'] = out['hsjp_samples_per_s'] / out['supervised_samples_per_s']
    return out


def codec_speed() -> dict:
    from mmpose.codecs import MSRAHeatmap

    from hsjp_mmpose.codecs import HeatmapJigsaw
    size, heatmap = (192, 256), (48, 64)
    rng = np.random.default_rng(0)
    msra = MSRAHeatmap(input_size=size, heatmap_size=heatmap, sigma=2)
    kpts17 = rng.uniform((0, 0), size, (1, 17, 2)).astype(np.float32)
    jigsaw = HeatmapJigsaw(input_size=size, heatmap_size=heatmap, grid=(4, 4), sigma=2)
    perm = rng.permutation(16)
    from hsjp_mmpose.jigsaw.geometry import cell_centers
    kpts16 = cell_centers((4, 4), size)[perm][None].astype(np.float32)
    vis17, vis16 = np.ones((1, 17), np.float32), np.ones((1, 16), np.float32)
    msra_s = _median_seconds(lambda: msra.encode(kpts17, vis17), 200)
    jig_s = _median_seconds(lambda: jigsaw.encode(kpts16, vis16), 200)
    heatmaps = jigsaw.encode(kpts16, vis16)['heatmaps']
    decode_s = _median_seconds(lambda: jigsaw.decode(heatmaps), 200)
    return dict(msra_17_encode_ms=1e3 * msra_s, jigsaw_4x4_encode_ms=1e3 * jig_s,
                encode_ratio=jig_s / msra_s, jigsaw_4x4_assignment_decode_ms=1e3 * decode_s)


def train_step(data_root: Path, steps: int) -> dict:
    """Median forward + backward + Adam step on one real batch, on the device ``mim train``
    would use (the GPU when there is one), so that item 4 compares like with like."""
    import torch
    from mmengine.dataset import pseudo_collate
    from mmpose.registry import MODELS
    device = 'cuda' if torch.cuda.is_available() else 'cpu'
    sync = torch.cuda.synchronize if device == 'cuda' else (lambda: None)
    out = dict(device=device)
    for name, config in (('supervised', SUPERVISED), ('hsjp', HSJP)):
        cfg, dataset = _dataset(config, data_root)
        batch = pseudo_collate([dataset[i] for i in range(cfg.train_dataloader.batch_size)])
        model = MODELS.build(cfg.model)
        model.init_weights()
        model.to(device).train()
        optim = torch.optim.Adam(model.parameters(), 1e-3)
        data = model.data_preprocessor(batch, True)

        def step():
            losses = model(**data, mode='loss')
            loss = sum(v for k, v in losses.items() if 'loss' in k)
            optim.zero_grad()
            loss.backward()
            optim.step()
            sync()

        step()
        out[f'{name}_step_s'] = _median_seconds(step, steps)
    out['ratio'] = out['hsjp_step_s'] / out['supervised_step_s']
    return out


def mim_iteration(work_dir: Path, data_root: Path, bare_step_s: float, epochs: int) -> dict:
    from hsjp_mmpose.experiments import Arm, ExperimentRunner
    from hsjp_mmpose.experiments.options import coco_data_root_options
    runner = ExperimentRunner(work_dir / 'mim', log=lambda msg: None, name='speed')
    run = runner.run(Arm('supervised', SUPERVISED, coco_data_root_options(data_root) + [
        f'train_cfg.max_epochs={epochs}', f'train_cfg.val_interval={epochs + 1}',
        'train_dataloader.dataset.indices=320', 'default_hooks.logger.interval=10'],
        test=False))
    log = (runner.log_dir / 'train_supervised.log').read_text()
    times = [float(t) for t in re.findall(r'Epoch\(train\).*?\btime: ([\d.]+)', log)]
    iteration = float(np.median(times[len(times) // 3:]))  # after the warm-up windows
    return dict(mim_train_iteration_s=iteration, bare_step_s=bare_step_s,
                ratio=iteration / bare_step_s, train_seconds=run['train_seconds'])


def run_speed_benchmark(work_dir, samples: int = 256, steps: int = 10,
                        epochs: int = 6) -> dict:
    """Measure items 1-4 on generated people in ``work_dir``; write ``results.md`` and
    ``results.json`` there and return the figures (with ``text``, the report)."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    from hsjp_mmpose.experiments import ExperimentRunner
    work = Path(work_dir).resolve()
    data_root = ExperimentRunner(work, log=lambda msg: None).data('easy', 400, 32, level='easy')
    results = dict(pipeline=pipeline_throughput(data_root, samples), codec=codec_speed(),
                   train_step=train_step(data_root, steps))
    results['mim_train'] = mim_iteration(work, data_root,
                                         results['train_step']['supervised_step_s'], epochs)
    text = format_report(results)
    (work / 'results.md').write_text(text + '\n')
    (work / 'results.json').write_text(json.dumps(results, indent=2))
    return dict(results, text=text)


def format_report(results: dict) -> str:
    """The four items as lines of text."""
    return '\n'.join([
        f"1. pipeline: supervised {results['pipeline']['supervised_samples_per_s']:.0f} "
        f"samples/s, HSJP {results['pipeline']['hsjp_samples_per_s']:.0f} samples/s: "
        f"ratio {results['pipeline']['ratio']:.2f} (target >= 0.95)",
        f"2. codec: MSRAHeatmap 17 kpts {results['codec']['msra_17_encode_ms']:.3f} ms, "
        f"HeatmapJigsaw 4x4 {results['codec']['jigsaw_4x4_encode_ms']:.3f} ms per encode: "
        f"ratio {results['codec']['encode_ratio']:.2f} (target <= 1); assignment decode "
        f"{results['codec']['jigsaw_4x4_assignment_decode_ms']:.3f} ms (target < 1 ms)",
        f"3. train step ({results['train_step']['device']}): supervised "
        f"{results['train_step']['supervised_step_s']:.3f} s, HSJP "
        f"{results['train_step']['hsjp_step_s']:.3f} s: ratio "
        f"{results['train_step']['ratio']:.3f} (target <= 1.02)",
        f"4. mim train iteration {results['mim_train']['mim_train_iteration_s']:.3f} s vs bare "
        f"step {results['mim_train']['bare_step_s']:.3f} s: ratio "
        f"{results['mim_train']['ratio']:.2f} (target <= 1.10)"])
