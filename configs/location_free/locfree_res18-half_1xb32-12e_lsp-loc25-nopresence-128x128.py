# Baseline of the 25% arm on LSP Extended: the same head, batches and location labels,
# the weak losses off (the 75% without location labels teach nothing).
_base_ = ['./locfree_res18-half_1xb32-12e_lsp-loc25-imagelevel-128x128.py']

model = dict(
    head=dict(
        score_mode='peak',
        presence_cfg=dict(loss=dict(loss_weight=0.), part_loss=None, region_loss=None)))
