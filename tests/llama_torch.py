#!/usr/bin/python3
"""An independent Llama in PyTorch, for checking curate's model/ against it.

It follows Hugging Face transformers' LlamaForCausalLM conventions (rotate-half
RoPE on the q/k projections, repeat_kv head grouping, RMSNorm in float32,
SwiGLU, tied or untied head), reads the same checkpoint directory
(config.json + model.safetensors, F32/F16/BF16) with its own safetensors
parser, and runs in float32 on the CPU.

usage:
  llama_torch.py losses CKPT IDS.json            per-token losses of each row
  llama_torch.py step CKPT IDS.json HYPER.json OUT.safetensors
        one AdamW step (clipping, weight decay on 2-D weights) on the rows'
        mean loss; writes the new weights
  llama_torch.py grads64 CKPT IDS.json OUT.safetensors
        the gradient of the rows' mean loss computed in float64: the
        reference both float32 implementations are measured against
  llama_torch.py bench CKPT train|score B T STEPS THREADS
        tokens/s of a training step or of scoring, on random ids
  llama_torch.py ppl CKPT IDS.txt MAX_TOKENS
        the perplexity of each non-empty document of `curate tokenize
        --emit ids` (a line of ids per document), scored as `curate ppl --max-tokens` scores it:
        <|begin_of_text|> then the first MAX_TOKENS ids, each predicted from
        those before it, in one window
  llama_torch.py hf-checkpoint OUT_DIR tied|untied
        a random checkpoint laid out as Hugging Face's save_pretrained
        writes a Llama 3.2 one: its config.json keys (eos_token_id a list,
        Llama 3.1 rope_scaling, transformers_version), BF16 tensors in
        safetensors' order with {"format": "pt"} metadata, no lm_head.weight
        when tied

IDS.json: {"rows": [[id, ...], ...], "doc_mask": false}; each row is T+1 ids,
inputs ids[:-1], targets ids[1:]. Prints JSON on stdout.
"""
import json
import math
import struct
import sys
import time

import torch

DTYPES = {"F32": torch.float32, "F16": torch.float16, "BF16": torch.bfloat16}
BEGIN_OF_TEXT, END_OF_TEXT = 128000, 128001


def read_safetensors(path):
    with open(path, "rb") as f:
        data = f.read()
    (n,) = struct.unpack("<Q", data[:8])
    header = json.loads(data[8:8 + n])
    base = 8 + n
    out = {}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        b, e = info["data_offsets"]
        t = torch.frombuffer(bytearray(data[base + b:base + e]), dtype=DTYPES[info["dtype"]])
        out[name] = t.reshape(info["shape"]).float()
    return out


def write_safetensors(path, tensors):
    header, blobs, off = {}, [], 0
    for name, t in tensors.items():
        raw = t.detach().float().contiguous().numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def write_hf_safetensors(path, tensors):
    # as the safetensors package lays a file out: tensors by dtype size
    # (all BF16 here), then by name
    header, blobs, off = {"__metadata__": {"format": "pt"}}, [], 0
    for name in sorted(tensors):
        raw = tensors[name].to(torch.bfloat16).contiguous().view(torch.int16).numpy().tobytes()
        header[name] = {"dtype": "BF16", "shape": list(tensors[name].shape), "data_offsets": [off, off + len(raw)]}
        blobs.append(raw)
        off += len(raw)
    h = json.dumps(header, separators=(",", ":")).encode()
    h += b" " * (-len(h) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


def hf_checkpoint(out, tied):
    import os
    cfg = {"architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
           "bos_token_id": 128000, "eos_token_id": [128001, 128008, 128009], "head_dim": 8,
           "hidden_act": "silu", "hidden_size": 32, "initializer_range": 0.02, "intermediate_size": 64,
           "max_position_embeddings": 131072, "mlp_bias": False, "model_type": "llama",
           "num_attention_heads": 4, "num_hidden_layers": 2, "num_key_value_heads": 2,
           "pretraining_tp": 1, "rms_norm_eps": 1e-05,
           "rope_scaling": {"factor": 32.0, "high_freq_factor": 4.0, "low_freq_factor": 1.0,
                            "original_max_position_embeddings": 8192, "rope_type": "llama3"},
           "rope_theta": 500000.0, "tie_word_embeddings": tied, "torch_dtype": "bfloat16",
           "transformers_version": "4.45.0.dev0", "use_cache": True, "vocab_size": 128256}
    g = torch.Generator().manual_seed(5)
    d, hd, f, V = cfg["hidden_size"], cfg["head_dim"], cfg["intermediate_size"], cfg["vocab_size"]
    nh, nkv = cfg["num_attention_heads"], cfg["num_key_value_heads"]

    def rnd(*shape, scale=0.1):
        return torch.randn(*shape, generator=g) * scale

    w = {"model.embed_tokens.weight": rnd(V, d, scale=0.5), "model.norm.weight": 1 + rnd(d)}
    if not tied:
        w["lm_head.weight"] = rnd(V, d, scale=0.5)
    for i in range(cfg["num_hidden_layers"]):
        pre = "model.layers.%d." % i
        w[pre + "input_layernorm.weight"] = 1 + rnd(d)
        w[pre + "post_attention_layernorm.weight"] = 1 + rnd(d)
        w[pre + "self_attn.q_proj.weight"] = rnd(nh * hd, d, scale=0.3)
        w[pre + "self_attn.k_proj.weight"] = rnd(nkv * hd, d, scale=0.3)
        w[pre + "self_attn.v_proj.weight"] = rnd(nkv * hd, d)
        w[pre + "self_attn.o_proj.weight"] = rnd(d, nh * hd)
        w[pre + "mlp.gate_proj.weight"] = rnd(f, d)
        w[pre + "mlp.up_proj.weight"] = rnd(f, d)
        w[pre + "mlp.down_proj.weight"] = rnd(d, f)
    os.makedirs(out, exist_ok=True)
    with open(out + "/config.json", "w") as fo:
        json.dump(cfg, fo, indent=2, sort_keys=True)
    write_hf_safetensors(out + "/model.safetensors", w)


def rope_inv_freq(cfg, head_dim):
    base = cfg.get("rope_theta", 10000.0)
    inv = 1.0 / (base ** (torch.arange(0, head_dim, 2, dtype=torch.int64).float() / head_dim))
    rs = cfg.get("rope_scaling")
    if rs and rs.get("rope_type", rs.get("type")) == "llama3":
        factor, lo, hi = rs["factor"], rs["low_freq_factor"], rs["high_freq_factor"]
        old = rs["original_max_position_embeddings"]
        lo_wl, hi_wl = old / lo, old / hi
        wl = 2 * math.pi / inv
        scaled = torch.where(wl > lo_wl, inv / factor, inv)
        smooth = (old / wl - lo) / (hi - lo)
        smoothed = (1 - smooth) * scaled / factor + smooth * scaled
        medium = ~(wl < hi_wl) * ~(wl > lo_wl)
        inv = torch.where(medium, smoothed, scaled)
    return inv


def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)


class Llama(torch.nn.Module):
    def __init__(self, cfg, weights):
        super().__init__()
        self.cfg = cfg
        self.d = cfg["hidden_size"]
        self.nh = cfg["num_attention_heads"]
        self.nkv = cfg.get("num_key_value_heads", self.nh)
        self.hd = cfg.get("head_dim") or self.d // self.nh
        self.eps = cfg.get("rms_norm_eps", 1e-6)
        self.L = cfg["num_hidden_layers"]
        self.tied = cfg.get("tie_word_embeddings", False)
        self.p = torch.nn.ParameterDict()
        for name, t in weights.items():
            if self.tied and name == "lm_head.weight":
                continue
            self.p[name.replace(".", "/")] = torch.nn.Parameter(t.clone())
        self.inv_freq = rope_inv_freq(cfg, self.hd)

    def w(self, name):
        if self.tied and name == "lm_head.weight":
            name = "model.embed_tokens.weight"
        return self.p[name.replace(".", "/")]

    def named(self):
        return {k.replace("/", "."): v for k, v in self.p.items()}

    def rms(self, x, name):
        # in float32 (float64 stays float64, for reference runs)
        h = x if x.dtype == torch.float64 else x.to(torch.float32)
        v = h.pow(2).mean(-1, keepdim=True)
        return self.w(name) * (h * torch.rsqrt(v + self.eps)).to(x.dtype)

    def forward(self, ids, doc_mask=False):
        B, T = ids.shape
        x = torch.nn.functional.embedding(ids, self.w("model.embed_tokens.weight"))
        pos = torch.arange(T, dtype=torch.float32)
        freqs = pos[:, None] * self.inv_freq[None, :]
        emb = torch.cat((freqs, freqs), dim=-1)
        cos, sin = emb.cos(), emb.sin()
        mask = torch.ones(T, T, dtype=torch.bool).tril()[None].expand(B, T, T)
        if doc_mask:
            # A position starts a document at <|begin_of_text|> or after
            # <|end_of_text|>; attention stays inside one document.
            start = (ids == BEGIN_OF_TEXT).clone()
            start[:, 1:] |= ids[:, :-1] == END_OF_TEXT
            doc = torch.cumsum(start.long(), dim=1)
            mask = mask & (doc[:, :, None] == doc[:, None, :])
        bias = torch.zeros(B, 1, T, T).masked_fill(~mask[:, None], float("-inf"))
        rep = self.nh // self.nkv
        for i in range(self.L):
            pre = "model.layers.%d." % i
            h = self.rms(x, pre + "input_layernorm.weight")
            q = (h @ self.w(pre + "self_attn.q_proj.weight").T).view(B, T, self.nh, self.hd).transpose(1, 2)
            k = (h @ self.w(pre + "self_attn.k_proj.weight").T).view(B, T, self.nkv, self.hd).transpose(1, 2)
            v = (h @ self.w(pre + "self_attn.v_proj.weight").T).view(B, T, self.nkv, self.hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k[:, :, None].expand(B, self.nkv, rep, T, self.hd).reshape(B, self.nh, T, self.hd)
            v = v[:, :, None].expand(B, self.nkv, rep, T, self.hd).reshape(B, self.nh, T, self.hd)
            att = (q @ k.transpose(2, 3)) / math.sqrt(self.hd) + bias
            att = torch.softmax(att, dim=-1, dtype=torch.float32).to(q.dtype)
            o = (att @ v).transpose(1, 2).reshape(B, T, self.nh * self.hd)
            x = x + o @ self.w(pre + "self_attn.o_proj.weight").T
            h = self.rms(x, pre + "post_attention_layernorm.weight")
            g = h @ self.w(pre + "mlp.gate_proj.weight").T
            u = h @ self.w(pre + "mlp.up_proj.weight").T
            x = x + (torch.nn.functional.silu(g) * u) @ self.w(pre + "mlp.down_proj.weight").T
        x = self.rms(x, "model.norm.weight")
        return x @ self.w("lm_head.weight").T

    def token_losses(self, rows, doc_mask=False):
        ids = torch.tensor(rows, dtype=torch.long)
        logits = self.forward(ids[:, :-1], doc_mask)
        V = logits.shape[-1]
        return torch.nn.functional.cross_entropy(logits.reshape(-1, V), ids[:, 1:].reshape(-1),
                                                 reduction="none").view(ids.shape[0], -1)


def load(ckpt):
    with open(ckpt + "/config.json") as f:
        cfg = json.load(f)
    return Llama(cfg, read_safetensors(ckpt + "/model.safetensors"))


def adamw_step(model, rows, doc_mask, hp):
    decay = [p for n, p in model.named().items() if p.dim() == 2]
    other = [p for n, p in model.named().items() if p.dim() != 2]
    opt = torch.optim.AdamW([{"params": decay, "weight_decay": hp["weight_decay"]},
                             {"params": other, "weight_decay": 0.0}],
                            lr=hp["lr"], betas=(hp["beta1"], hp["beta2"]), eps=hp["eps"],
                            foreach=False)
    loss = model.token_losses(rows, doc_mask).mean()
    loss.backward()
    norm = torch.nn.utils.clip_grad_norm_(model.parameters(), hp["clip"])
    opt.step()
    return loss.item(), norm.item()


def bench(model, mode, B, T, steps, threads):
    torch.set_num_threads(threads)
    g = torch.Generator().manual_seed(1)
    V = model.cfg["vocab_size"]
    rows = torch.randint(0, V, (B, T + 1), generator=g)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4)

    def one():
        if mode == "train":
            logits = model.forward(rows[:, :-1])
            loss = torch.nn.functional.cross_entropy(logits.reshape(-1, V), rows[:, 1:].reshape(-1))
            opt.zero_grad(set_to_none=True)
            loss.backward()
            torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
        else:
            with torch.no_grad():
                logits = model.forward(rows[:, :-1])
                torch.nn.functional.cross_entropy(logits.reshape(-1, V), rows[:, 1:].reshape(-1),
                                                  reduction="none")
    one()  # warm-up: allocator, thread pool, optimizer state
    t0 = time.perf_counter()
    for _ in range(steps):
        one()
    dt = time.perf_counter() - t0
    return {"mode": mode, "tokens_per_second": B * T * steps / dt, "seconds": dt, "threads": threads}


def main(argv):
    cmd = argv[1]
    if cmd == "hf-checkpoint":
        hf_checkpoint(argv[2], argv[3] == "tied")
        return 0
    model = load(argv[2])
    if cmd == "ppl":
        out = []
        with torch.no_grad(), open(argv[3]) as f:
            for line in f:
                ids = [int(t) for t in line.split()][:int(argv[4])]
                if ids:
                    out.append(math.exp(model.token_losses([[BEGIN_OF_TEXT] + ids]).mean().item()))
        print(json.dumps({"ppl": out}))
        return 0
    if cmd == "bench":
        B, T, steps, threads = map(int, argv[4:8])
        print(json.dumps(bench(model, argv[3], B, T, steps, threads)))
        return 0
    with open(argv[3]) as f:
        spec = json.load(f)
    if cmd == "losses":
        with torch.no_grad():
            losses = model.token_losses(spec["rows"], spec.get("doc_mask", False))
        print(json.dumps({"losses": losses.tolist()}))
        return 0
    if cmd == "step":
        with open(argv[4]) as f:
            hp = json.load(f)
        loss, norm = adamw_step(model, spec["rows"], spec.get("doc_mask", False), hp)
        tensors = dict(model.named())
        write_safetensors(argv[5], tensors)
        print(json.dumps({"loss": loss, "grad_norm": norm}))
        return 0
    if cmd == "grads64":
        model = model.double()
        loss = model.token_losses(spec["rows"], spec.get("doc_mask", False)).mean()
        loss.backward()
        write_safetensors(argv[4], {n: p.grad for n, p in model.named().items()})
        print(json.dumps({"loss": loss.item()}))
        return 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
