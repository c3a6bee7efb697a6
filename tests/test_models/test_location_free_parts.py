# Copyright (c) hsjp-mmpose contributors.
import inspect

import pytest
import torch

from hsjp_mmpose.models.heads.location_free import (MultiScaleFeatureFusion,
                                                    RelationPrototypeGenerator,
                                                    SpatialGuidedContextEncoder,
                                                    sine_positional_encoding)


def test_sine_positional_encoding_shape_and_distinct_positions():
    pos = sine_positional_encoding(4, 3, 16)
    assert pos.shape == (12, 16)
    assert torch.cdist(pos, pos).add(torch.eye(12)).min() > 1e-3
    with pytest.raises(ValueError, match='multiple of 4'):
        sine_positional_encoding(4, 3, 10)


def test_fusion_outputs_the_finest_scale():
    fusion = MultiScaleFeatureFusion((8, 16, 32), 12)
    feats = [torch.randn(2, 8, 16, 12), torch.randn(2, 16, 8, 6), torch.randn(2, 32, 4, 3)]
    assert fusion(feats).shape == (2, 12, 16, 12)
    with pytest.raises(ValueError, match='expected 3 feature maps'):
        fusion(feats[:2])


@pytest.mark.parametrize('token_stride', [1, 2])
def test_context_encoder_shapes(token_stride):
    enc = SpatialGuidedContextEncoder(16, 5, num_layers=2, num_heads=2,
                                      token_stride=token_stride)
    ctx, parts = enc(torch.randn(2, 16, 8, 6))
    assert ctx.shape == (2, 16, 8, 6) and parts.shape == (2, 5, 8, 6)


def test_context_encoder_without_layers_is_identity():
    enc = SpatialGuidedContextEncoder(16, 5, num_layers=0)
    x = torch.randn(2, 16, 4, 3)
    ctx, parts = enc(x)
    assert ctx is x and parts.shape == (2, 5, 4, 3)


def test_saliency_guidance_mutes_non_salient_locations():
    """Changing features where saliency is ~0 barely moves the salient outputs."""
    torch.manual_seed(0)
    enc = SpatialGuidedContextEncoder(16, 3, num_layers=1, num_heads=2,
                                      saliency_floor=1e-6).eval()
    with torch.no_grad():
        enc.part_classifier.weight.zero_()
        enc.part_classifier.bias.zero_()
        enc.part_classifier.weight[:, 0] = 1.  # saliency follows channel 0
    x = torch.randn(1, 16, 4, 4)
    x[:, 0] = -20.  # nowhere salient ...
    x[:, 0, 0, 0] = 20.  # ... but one location
    y = x.clone()
    y[:, 1:, 2:, 2:] += 5 * torch.randn(1, 15, 2, 2)  # change non-salient locations
    with torch.no_grad():
        guided = (enc(x)[0] - enc(y)[0])[:, :, :2, :2].abs().max()
        enc.saliency_guided = False
        unguided = (enc(x)[0] - enc(y)[0])[:, :, :2, :2].abs().max()
    assert guided < 1e-3 < unguided


def test_context_encoder_rejects_bad_arguments():
    with pytest.raises(ValueError, match='num_heads'):
        SpatialGuidedContextEncoder(10, 3, num_heads=4)
    with pytest.raises(ValueError, match='token_stride'):
        SpatialGuidedContextEncoder(16, 3, token_stride=0)


def test_prototype_generator_shapes_and_static_mode():
    gen = RelationPrototypeGenerator(16, 5, num_layers=2, num_heads=2)
    assert gen(torch.randn(3, 16, 8, 6)).shape == (3, 5, 16)
    static = RelationPrototypeGenerator(16, 5, num_layers=0)
    out = static(torch.randn(3, 16, 8, 6))
    assert torch.equal(out[0], static.prototypes) and out.shape == (3, 5, 16)


def test_prototypes_depend_on_context_and_on_each_other():
    torch.manual_seed(0)
    ctx = torch.randn(1, 16, 4, 3)
    gen = RelationPrototypeGenerator(16, 4, num_layers=1, num_heads=2).eval()
    base = gen(ctx)
    assert not torch.allclose(base, gen(ctx + torch.randn_like(ctx)))
    with torch.no_grad():
        gen.prototypes[0] += 1.  # move prototype 0: the others follow through relations
    assert not torch.allclose(base[:, 1:], gen(ctx)[:, 1:])

    gen = RelationPrototypeGenerator(16, 4, num_layers=1, num_heads=2,
                                     use_relation=False).eval()
    base = gen(ctx)
    with torch.no_grad():
        gen.prototypes[0] += 1.
    assert torch.allclose(base[:, 1:], gen(ctx)[:, 1:])


def test_parts_take_embed_dims_then_num_keypoints():
    """One argument order for the parts that see both, as the head fills them in."""
    for part in (SpatialGuidedContextEncoder, RelationPrototypeGenerator):
        names = list(inspect.signature(part).parameters)[:2]
        assert names == ['embed_dims', 'num_keypoints'], part.__name__
    enc, gen = SpatialGuidedContextEncoder(16, 5), RelationPrototypeGenerator(16, 5)
    assert (enc.embed_dims, enc.num_keypoints) == (gen.embed_dims, gen.num_keypoints) == (16, 5)
