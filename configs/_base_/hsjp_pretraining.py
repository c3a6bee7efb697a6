# HSJP pretraining: the steps configs/hsjp/ (and configs/jigsaw_cls/, which inherits them)
# share at every size. A config states its puzzle once (jigsaw_grid; its RandomJigsaw dict
# `jigsaw`, codec and head take it from there) and builds its pipelines from these.
_base_ = ['./jigsaw_meta_keys.py']

# Augmentation before the shuffle (a flip after it would move the targets): scale and shift
# jitter but no rotation (MMPose's recipe rotates up to 80 degrees): a rotated crop has
# black wedges and borders in its corners, which give corner cells away.
hsjp_augmentation = [
    dict(type='RandomFlip', direction='horizontal'),
    dict(type='RandomBBoxTransform', rotate_prob=0.),
]
# RandomJigsaw's settings in training: per-patch colour jitter and grey (against colour
# shortcuts between neighbouring patches) ...
hsjp_train_puzzle = dict(color_jitter=0.2, grayscale_prob=0.2)
# ... and in validation and test: the same puzzle for a sample in every epoch and run, so
# that save_best and mim test compare like with like.
hsjp_val_puzzle = dict(per_sample_seed=True)
