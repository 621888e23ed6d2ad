# Architecture search on the raccoon photos (docs/architecture_search.md):
# a Lite0 supernet with elastic kernel / expansion / depth per backbone
# stage, BiFPN repeats, head depth and input size, initialised from the
# installed Lite0 ImageNet weights (the largest choices hold them) and trained
# once with the sandwich rule:
#   .venv/bin/python tools/train.py configs/efficientdet/nas/efficientdet_lite0_supernet_raccoon.py
# then searched on the deploy path:
#   .venv/bin/python tools/nas/search.py CONFIG work_dirs/.../epoch_N.pth \
#       --latency-ms MS --target ov-int8 --out-dir work_dirs/nas_raccoon
# Every sub-network is an ordinary Lite0-like config (block strings, BiFPN
# repeats, head depth, input size); search.py writes the chosen one.
_base_ = '../custom/efficientdet_lite0_finetune_raccoon.py'

search_space = dict(
    # one entry per Lite0 stage (ds_r1_k3 c16, ir_r2_k3 c24, ir_r2_k5 c40,
    # ir_r3_k3 c80, ir_r3_k5 c112, ir_r4_k5 c192, ir_r1_k3 c320): the
    # parent's kernel, expansion 6 and depth are each one of the choices
    stages=[
        dict(kernel=[3], expand=[1], depth=[1]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[1, 2]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[1, 2]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[2, 3]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[2, 3]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[2, 3, 4]),
        dict(kernel=[3, 5], expand=[4, 6], depth=[1]),
    ],
    neck_repeats=[2, 3],  # Lite0: 3
    head_depth=[2, 3],  # Lite0: 3
    image_size=[256, 320])  # Lite0: 320; the supernet trains at the largest
model = dict(
    type='EfficientDetSupernet',
    search_space=search_space,
    num_random=1,  # sandwich rule: largest + smallest + 1 random per step (2 cores)
    distill_weight=0.0)  # in-place distillation off (on: e.g. 1.0)

# 20 epochs (the template's 40 is ~3x longer with three sub-networks a step
# on 2 cores); the recipe's cosine ends with the train loop, and the chosen
# sub-network's config keeps this schedule's shape over search.py's
# --finetune-epochs (default 40)
max_epochs = 20
train_cfg = dict(max_epochs=max_epochs, val_interval=2)
