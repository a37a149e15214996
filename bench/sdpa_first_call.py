"""Per-shape first-call cost of masked bf16 attention on this GPU (a diagnostic for
docs/results/mpi_scaling.md): PyTorch's fused attention prepares its kernel for each new shape,
and a process that meets many shapes (a search with length-grouped batches and varying prefix
lengths) pays it again and again. For each attention backend setting, times the forward and
backward of scaled_dot_product_attention at 12 shapes never seen before (first call) and then
again (warm), with an additive mask (padded batches) and without one.

    python3 bench/sdpa_first_call.py
"""
import time

import torch
import torch.nn.functional as F


def trial(seq, masked, heads=2, dim=64, batch=32):
    q, k, v = (torch.randn(batch, heads, seq, dim, device="cuda", dtype=torch.bfloat16, requires_grad=True)
               for _ in range(3))
    mask = None
    if masked:
        mask = torch.zeros(batch, 1, 1, seq, device="cuda", dtype=torch.bfloat16)
        mask[:, :, :, seq - 2:] = torch.finfo(torch.bfloat16).min
    torch.cuda.synchronize()
    t = time.perf_counter()
    F.scaled_dot_product_attention(q, k, v, attn_mask=mask, dropout_p=0.1).sum().backward()
    torch.cuda.synchronize()
    return (time.perf_counter() - t) * 1e3


def main():
    print("torch", torch.__version__, torch.cuda.get_device_name())
    lengths = iter(range(20, 2000, 7))  # every measurement gets shapes no earlier one used
    for cudnn in (True, False):
        torch.backends.cuda.enable_cudnn_sdp(cudnn)
        for masked in (True, False):
            seqs = [next(lengths) for _ in range(12)]
            first = [trial(s, masked) for s in seqs]
            warm = [trial(s, masked) for s in seqs]
            print(f"cudnn_sdp={cudnn!s:5} mask={masked!s:5}: first call {sum(first) / len(first):7.2f} ms/shape, "
                  f"warm {sum(warm) / len(warm):5.2f} ms/shape")


if __name__ == "__main__":
    main()
