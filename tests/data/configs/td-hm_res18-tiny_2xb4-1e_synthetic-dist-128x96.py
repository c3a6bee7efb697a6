# The tiny config for a two-process torch.distributed run on the CPU (gloo backend), driven
# by tests/test_integration/test_distributed_cpu.py: one epoch, 4 samples per process and
# iteration, and a probe hook (defined in that test module, imported below) that writes what
# each rank saw to <work_dir>/dist_probe/rank<N>.json. Data paths are overridden on the
# command line. The distributed backend is left at MMPose's default 'nccl': the plugin must
# switch it to 'gloo' when there is no CUDA (hsjp_mmpose/engine/distributed.py).
_base_ = ['./td-hm_res18-tiny_1xb8-2e_synthetic-128x96.py']
custom_imports = dict(
    imports=['hsjp_mmpose', 'tests.test_integration.test_distributed_cpu'],
    allow_failed_imports=False)

train_cfg = dict(max_epochs=1, val_interval=1)
env_cfg = dict(dist_cfg=dict(backend='nccl'))

custom_hooks = [
    dict(type='SyncBuffersHook'),
    dict(type='PretrainedInitCheckHook'),
    # a file-writing hook of the plugin (rank 0 only): backbone.pth and transfer.pth
    dict(type='ExportBackboneHook', filename='backbone.pth'),
    dict(type='DistributedProbeHook', out_dir='dist_probe'),
]

train_dataloader = dict(batch_size=4)
val_dataloader = dict(batch_size=2)
test_dataloader = val_dataloader
