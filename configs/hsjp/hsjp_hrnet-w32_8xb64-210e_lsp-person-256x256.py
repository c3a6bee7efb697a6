# HSJP pretraining of HRNet-W32 on the LSP Extended training crops (real photos, labels
# unused) at 256x256: each crop is cut into 4x4 cells of 64x64 pixels, every patch is a
# 56x56 crop at a random offset (patch_jitter=0.125, grey margins), the patches are
# shuffled, and the network regresses 16 heatmaps, one per patch. The run ends with
# <work_dir>/backbone.pth for configs/finetune/td-hm_hrnet-w32_hsjp-init_8xb64-210e_lsp-256x256.py.
# Schedule, optimiser and model are those of the COCO-person HSJP config.
_base_ = ['./hsjp_hrnet-w32_8xb64-210e_coco-person-256x192.py']

jigsaw_grid = (4, 4)  # (rows, cols); must divide input_size
input_size = (256, 256)
codec = dict(type='HeatmapJigsaw', input_size=input_size, heatmap_size=(64, 64),
             grid=jigsaw_grid, sigma=2)
jigsaw = dict(type='RandomJigsaw', grid=jigsaw_grid, input_size=input_size,
              permutations='all', patch_jitter=0.125, fill=128)
model = dict(head=dict(out_channels=jigsaw_grid[0] * jigsaw_grid[1], decoder=codec))

data_root = 'data/lsp_extended/'
train_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    *_base_.hsjp_augmentation,  # flip, scale and shift; no rotation
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, **_base_.hsjp_train_puzzle),
    dict(type='GenerateTarget', encoder=codec),
    dict(type='PackPoseInputs', meta_keys=_base_.jigsaw_meta_keys),
]
val_pipeline = [
    dict(type='LoadImage'),
    dict(type='GetBBoxCenterScale', padding=1.0),
    dict(type='TopdownAffine', input_size=input_size),
    dict(jigsaw, **_base_.hsjp_val_puzzle),
    dict(type='PackPoseInputs', meta_keys=_base_.jigsaw_meta_keys),
]
train_dataloader = dict(
    dataset=dict(data_root=data_root, min_bbox_size=16,
                 ann_file='annotations/lspet_train.json', data_prefix=dict(img='images/'),
                 pipeline=train_pipeline))
val_dataloader = dict(
    dataset=dict(data_root=data_root, min_bbox_size=16,
                 ann_file='annotations/lspet_val.json', data_prefix=dict(img='images/'),
                 pipeline=val_pipeline))
test_dataloader = val_dataloader
