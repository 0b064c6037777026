#!/usr/bin/python3
"""tests/reference/optim_reference.py: the PyTorch oracle of pan's AdamW
(core/train/optim.h), float64.

Writes into OUTDIR:
  optim.safetensors   a checkpoint of train_reference's tiny config with
                      model_twin.randomize weights (seed 44): the initial
                      parameters;
  optim_reference.bin PANFIX01 (tests/fixture.h) records:
    config/lr f64 (STEPS), config/beta1, beta2, eps, weight_decay f64 0-D;
    step/{t}/grad/<name> f32: the gradient given at step t (0-based);
    step/{t}/param/<name> f64: torch.optim.AdamW's parameters after step t
      (param groups: weight decay on tensors of 2+ dimensions, none on the
      rest; amsgrad off; float64 from the f32 initial values and grads);
    step/{t}/m/<name>, step/{t}/v/<name> f64: its moments after step t.

Usage: optim_reference.py OUTDIR     (exit 0 on success, 2 without torch)
"""
import copy
import os
import sys

try:
    import torch
except ImportError as error:  # CI must install it: never pass silently
    sys.stderr.write(
        "optim_reference.py: cannot import torch with %s (%s).\n"
        "Install Debian's PyTorch: apt-get install python3-torch\n"
        % (sys.executable, error))
    sys.exit(2)

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import model_twin  # noqa: E402
from ops_reference import write_panfix  # noqa: E402
from train_reference import TINY  # noqa: E402

STEPS = 4
LR = [1e-2, 3e-3, 1e-3, 5e-2]
BETA1, BETA2, EPS, WD = 0.9, 0.95, 1e-8, 0.1


def main(outdir):
    os.makedirs(outdir, exist_ok=True)
    pm = model_twin.PanModel(TINY)
    model_twin.randomize(pm, torch.Generator().manual_seed(44))
    model_twin.save_checkpoint(pm, os.path.join(outdir, "optim.safetensors"),
                               "optimizer reference")
    names = model_twin.param_order(TINY)
    params = dict(copy.deepcopy(pm).double().named_parameters())
    decay = [params[n] for n in names if params[n].dim() >= 2]
    plain = [params[n] for n in names if params[n].dim() < 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": WD},
                             {"params": plain, "weight_decay": 0.0}],
                            lr=LR[0], betas=(BETA1, BETA2), eps=EPS)
    g = torch.Generator().manual_seed(45)
    records = [("config/lr", torch.tensor(LR, dtype=torch.float64))]
    for key, value in (("beta1", BETA1), ("beta2", BETA2), ("eps", EPS),
                       ("weight_decay", WD)):
        records.append(("config/" + key, torch.tensor(value, dtype=torch.float64)))
    for t in range(STEPS):
        for group in opt.param_groups:
            group["lr"] = LR[t]
        for n in names:
            grad = torch.randn(params[n].shape, generator=g, dtype=torch.float32)
            if t == 2:
                grad = grad * 1e-4  # small gradients: eps matters
            params[n].grad = grad.double()
            records.append(("step/%d/grad/%s" % (t, n), grad))
        opt.step()
        for n in names:
            state = opt.state[params[n]]
            records.append(("step/%d/param/%s" % (t, n), params[n].detach().clone()))
            records.append(("step/%d/m/%s" % (t, n), state["exp_avg"].clone()))
            records.append(("step/%d/v/%s" % (t, n), state["exp_avg_sq"].clone()))
    write_panfix(os.path.join(outdir, "optim_reference.bin"), records)
    print("optim_reference.py: %d records, %d steps" % (len(records), STEPS))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.stderr.write(__doc__)
        sys.exit(2)
    main(sys.argv[1])
