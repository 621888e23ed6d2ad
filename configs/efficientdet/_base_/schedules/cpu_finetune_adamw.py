# The CPU fine-tune recipe: a few hundred photos (or a generated set) on 2 CPU
# cores, measured on the raccoon photos (README "Your own photos", and
# docs/training.md). Its one home: the custom templates, the architecture
# search's supernet config and the demo take it with
#
#   _base_ = ['../<level config>.py', '../_base_/schedules/cpu_finetune_adamw.py']
#   optim_wrapper = dict(_base_.cpu_optim_wrapper, _delete_=True)
#   param_scheduler = _base_.cpu_param_scheduler
#   ...
#
# (mmengine refuses a key two `_base_` files both define, and every level
# config holds the COCO schedule, so the recipe's values carry a `cpu_`
# prefix and the child names the ones it takes.) Each choice and why:
#   * AdamW lr 2e-3 (SGD 0.01 with the COCO recipe's EMA reached AP 0.006 after
#     10 epochs on real photos: the randomly initialised BiFPN and heads need
#     an adaptive optimiser to move in a few hundred iterations), no weight
#     decay on norms and biases, gradients clipped at 10,
#   * a linear warm-up of 50 iterations, then cosine decay to 0 over the train
#     loop's epochs (no `end`: mmengine ends it at train_cfg.max_epochs, so a
#     child or --cfg-options train_cfg.max_epochs=N changes one number),
#   * no weight EMA (custom_hooks empty): with ~800 iterations averaged
#     weights would still be close to their initial values when evaluated,
#   * evaluation every 2 epochs (the child sets max_epochs), the last
#     checkpoint every 10 epochs and the best by bbox mAP kept, a log line
#     every 10 iterations.
cpu_base_lr = 2e-3
cpu_optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(type='AdamW', lr=cpu_base_lr, weight_decay=1e-4),
    paramwise_cfg=dict(norm_decay_mult=0.0, bias_decay_mult=0.0),
    clip_grad=dict(max_norm=10.0, norm_type=2))
cpu_param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=50),
    dict(type='CosineAnnealingLR', eta_min=0.0, by_epoch=True, begin=0, convert_to_iter_based=True),
]
cpu_auto_scale_lr = dict(enable=False, base_batch_size=8)
cpu_default_hooks = dict(logger=dict(interval=10), checkpoint=dict(interval=10, max_keep_ckpts=1))
cpu_log_processor = dict(window_size=10)
