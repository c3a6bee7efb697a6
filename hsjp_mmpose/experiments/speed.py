# Copyright (c) hsjp-mmpose contributors.
"""Speed ratios measured in one run, on the same images (issue targets in brackets).

1. data pipeline, one process: stock supervised top-down pipeline vs the HSJP pipeline
   (the same plus RandomJigsaw and HeatmapJigsaw)                       [HSJP >= 0.95x]
2. codec: HeatmapJigsaw.encode for 4x4 vs MSRAHeatmap.encode for 17 keypoints at the same
   heatmap size [no slower]; assignment decode per sample for 4x4      [< 1 ms]
3. train step (forward, backward, Adam): HSJP vs supervised, same backbone and input
                                                                          [<= 1.02x]
4. a whole ``mim train`` iteration of the supervised config vs what it cannot do without:
   the bare step (item 3) plus the data pipeline for one batch (item 1's supervised
   pipeline, one process, as the small configs load data)          [<= 1.10x]

Uses the small configs (ResNet-18 at half width, 128x96) on generated people;
``tools/benchmark_speed.py`` is the command line. The ``mim train`` run is trained anew
each time (a timing is never reused) and uses the config as shipped (its train loop, data
loading and hooks), so a config change shows in item 4. Like every command of the
:class:`~hsjp_mmpose.experiments.ExperimentRunner`, it runs with the glibc malloc settings
of :mod:`~hsjp_mmpose.experiments.allocator`; items 1-3 are measured in this process under
the same settings, so that item 4 compares like with like.
"""
import re
import time
from pathlib import Path

import numpy as np

from hsjp_mmpose.experiments.allocator import apply_malloc_settings
from hsjp_mmpose.experiments.options import coco_data_root_options, schedule_options
from hsjp_mmpose.experiments.report import markdown_table, write_report
from hsjp_mmpose.experiments.runner import Arm, ExperimentRunner

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
    """Samples per second of each training pipeline in this process, and the time of one
    batch of the supervised pipeline (``batch_size`` samples and their collation)."""
    from mmengine.dataset import pseudo_collate
    out = {}
    for name, config in (('supervised', SUPERVISED), ('hsjp', HSJP)):
        cfg, dataset = _dataset(config, data_root)
        n = min(num_samples, len(dataset))
        dataset[0]  # warm-up
        seconds = _median_seconds(lambda: [dataset[i] for i in range(n)], 3)
        out[f'{name}_samples_per_s'] = n / seconds
        if name == 'supervised':
            size = cfg.train_dataloader.batch_size
            batches = [range(start, start + size) for start in range(0, n - size + 1, size)]
            out['supervised_batch_s'] = float(np.median([_median_seconds(
                lambda b=b: pseudo_collate([dataset[i] for i in b]), 1) for b in batches]))
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


def mim_iteration(runner: ExperimentRunner, data_root: Path, bare_step_s: float,
                  pipeline_batch_s: float, epochs: int) -> dict:
    """Median ``time`` and ``data_time`` of the ``mim train`` log windows after the first
    third (the warm-up), against ``bare_step_s + pipeline_batch_s``."""
    runner.runs.pop('supervised', None)  # a timing is measured anew, never reused
    run = runner.run(Arm('supervised', SUPERVISED, coco_data_root_options(data_root)
                         + schedule_options(SUPERVISED, epochs, val_interval=epochs + 1)
                         + ['train_dataloader.dataset.indices=320',
                            'default_hooks.logger.interval=10'], test=False))
    log = (runner.log_dir / 'train_supervised.log').read_text()
    lines = re.findall(r'Epoch\(train\).*', log)
    times = [float(t) for line in lines for t in re.findall(r'\btime: ([\d.]+)', line)]
    waits = [float(t) for line in lines for t in re.findall(r'\bdata_time: ([\d.]+)', line)]
    if not times:
        raise RuntimeError(f'no Epoch(train) timings in {runner.log_dir}/train_supervised.log')
    iteration = float(np.median(times[len(times) // 3:]))  # after the warm-up windows
    data_time = float(np.median(waits[len(waits) // 3:])) if waits else float('nan')
    floor = bare_step_s + pipeline_batch_s
    return dict(mim_train_iteration_s=iteration, data_time_s=data_time,
                bare_step_s=bare_step_s, pipeline_batch_s=pipeline_batch_s,
                bare_plus_pipeline_s=floor, ratio=iteration / floor,
                ratio_to_bare_step=iteration / bare_step_s,
                train_seconds=run['train_seconds'])


def run_speed_benchmark(work_dir, samples: int = 256, steps: int = 10,
                        epochs: int = 6, log=None) -> dict:
    """Measure items 1-4 on generated people in ``work_dir``; write ``results.md`` and
    ``results.json`` there and return the figures (with ``text``, the report)."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmpose')
    # the in-process items under the allocator settings the mim train run gets
    apply_malloc_settings()
    runner = ExperimentRunner(work_dir, log=log or (lambda msg: None), name='speed')
    data_root = runner.data('easy', 400, 32, level='easy')
    results = dict(pipeline=pipeline_throughput(data_root, samples), codec=codec_speed(),
                   train_step=train_step(data_root, steps))
    results['mim_train'] = mim_iteration(runner, data_root,
                                         results['train_step']['supervised_step_s'],
                                         results['pipeline']['supervised_batch_s'], epochs)
    text = format_report(results)
    write_report(runner, text, extra=results)
    return dict(results, text=text)


def _verdict(ok: bool) -> str:
    return 'met' if ok else 'not met'


def format_report(results: dict) -> str:
    """The four items as a Markdown table."""
    p, c, t, m = (results[k] for k in ('pipeline', 'codec', 'train_step', 'mim_train'))
    rows = [
        ['1. data pipeline, one process',
         f"supervised {p['supervised_samples_per_s']:.0f} samples/s, HSJP "
         f"{p['hsjp_samples_per_s']:.0f} samples/s", f"{p['ratio']:.2f}",
         f">= 0.95 ({_verdict(p['ratio'] >= 0.95)})"],
        ['2. codec encode, 64x48 heatmaps',
         f"MSRAHeatmap (17 keypoints) {c['msra_17_encode_ms']:.3f} ms, HeatmapJigsaw (4x4) "
         f"{c['jigsaw_4x4_encode_ms']:.3f} ms", f"{c['encode_ratio']:.2f}",
         f"<= 1 ({_verdict(c['encode_ratio'] <= 1)})"],
        ['2. assignment decode, 4x4',
         f"{c['jigsaw_4x4_assignment_decode_ms']:.3f} ms per sample", '',
         f"< 1 ms ({_verdict(c['jigsaw_4x4_assignment_decode_ms'] < 1)})"],
        [f"3. train step (forward, backward, Adam; {t['device']})",
         f"supervised {t['supervised_step_s']:.3f} s, HSJP {t['hsjp_step_s']:.3f} s",
         f"{t['ratio']:.3f}", f"<= 1.02 ({_verdict(t['ratio'] <= 1.02)})"],
        ['4. `mim train` iteration vs bare step + pipeline',
         f"{m['mim_train_iteration_s']:.3f} s (data_time {m['data_time_s']:.3f} s) vs "
         f"{m['bare_step_s']:.3f} s + {m['pipeline_batch_s']:.3f} s per batch = "
         f"{m['bare_plus_pipeline_s']:.3f} s", f"{m['ratio']:.2f}",
         f"<= 1.10 ({_verdict(m['ratio'] <= 1.10)})"],
    ]
    return markdown_table(['item', 'measured', 'ratio', 'target'], rows)
