# The small generated-people pose config, shrunk further (ResNet-18 at 1/8 width, batch 8,
# 2 epochs, no worker processes) so that integration tests train in seconds on a CPU.
# Data paths are overridden on the command line.
_base_ = ['../../../configs/_base_/td-hm_res18-half_1xb32_synthetic-128x96.py']

train_cfg = dict(max_epochs=2, val_interval=1)
param_scheduler = []
default_hooks = dict(logger=dict(interval=1), checkpoint=dict(interval=1, max_keep_ckpts=-1))

model = dict(
    backbone=dict(base_channels=8, stem_channels=8),
    head=dict(in_channels=64, deconv_out_channels=(16, 16, 16)))

train_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
val_dataloader = dict(batch_size=8, num_workers=0, persistent_workers=False)
test_dataloader = val_dataloader
