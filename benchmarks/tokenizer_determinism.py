"""Does learning a tokenizer twice from the same text give the same vocabulary?

    python benchmarks/tokenizer_determinism.py                   # the Bible's training verses, 8,000 tokens
    python benchmarks/tokenizer_determinism.py --runs 3 --texts 2000 --vocab-size 1000

Why it matters: a model's weights are tied to its token ids, and a course must tokenize
the same way every year. Each trainer learns ``--runs`` times, each time in a fresh Python
process on one thread, from the English and Spanish training verses of the Bible corpus
(what ``sslworkbench.data.bible`` learns its tokenizer from):

    sentencepiece   SentencePiece's BPE, as ``sslworkbench.data.tokenizer.train_tokenizer`` runs it
    hf_bpe          Hugging Face's ``tokenizers`` BPE trainer
    hf_wordpiece    Hugging Face's ``tokenizers`` WordPiece trainer

The last two need ``pip install tokenizers`` (not a dependency of the workbench: without it
they are skipped). For each trainer it prints whether every run learned the same tokens,
and the same tokens with the same ids.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

TRAINERS = ("sentencepiece", "hf_bpe", "hf_wordpiece")
SPECIALS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def training_texts(count: int | None) -> list[str]:
    """The English and Spanish training verses (the first ``count`` texts, or all of them)."""
    from sslworkbench.data.bible import split_verses

    texts = [text for verse in split_verses("train") for text in (verse.en, verse.es)]
    return texts if count is None else texts[:count]


def learn_vocabulary(trainer: str, texts: list[str], vocab_size: int) -> list[str]:
    """The tokens ``trainer`` learns from ``texts``, in id order."""
    if trainer == "sentencepiece":
        from sslworkbench.data.tokenizer import train_tokenizer

        return list(train_tokenizer(texts, vocab_size=vocab_size).vocab)
    from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

    if trainer == "hf_bpe":
        tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
        learner = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIALS)
    else:
        tokenizer = Tokenizer(models.WordPiece(unk_token="[UNK]"))
        tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
        learner = trainers.WordPieceTrainer(vocab_size=vocab_size, special_tokens=SPECIALS)
    tokenizer.normalizer = normalizers.Sequence([normalizers.NFKC(), normalizers.Lowercase()])
    tokenizer.train_from_iterator(texts, learner)
    vocabulary = tokenizer.get_vocab()
    return sorted(vocabulary, key=vocabulary.get)


def available(trainer: str) -> bool:
    if trainer == "sentencepiece":
        return True
    try:
        import tokenizers  # noqa: F401
    except ImportError:
        return False
    return True


def learn_in_fresh_process(trainer: str, texts: int | None, vocab_size: int) -> list[str]:
    """One run of ``trainer`` in a new Python process, on one thread: its tokens in id order."""
    one_thread = {"RAYON_NUM_THREADS": "1", "RAYON_RS_NUM_CPUS": "1", "TOKENIZERS_PARALLELISM": "false",
                  "OMP_NUM_THREADS": "1"}
    command = [sys.executable, __file__, "--child", trainer, "--vocab-size", str(vocab_size)]
    if texts is not None:
        command += ["--texts", str(texts)]
    done = subprocess.run(command, capture_output=True, text=True, env={**os.environ, **one_thread})
    if done.returncode:
        sys.exit(f"{trainer} failed:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=2, help="runs of each trainer, each in a fresh process (default 2)")
    parser.add_argument("--texts", type=int, default=None, help="learn from the first N texts only (default: all)")
    parser.add_argument("--vocab-size", type=int, default=8000)
    parser.add_argument("--trainers", nargs="+", choices=TRAINERS, default=list(TRAINERS))
    parser.add_argument("--child", choices=TRAINERS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(learn_vocabulary(args.child, training_texts(args.texts), args.vocab_size)))
        return 0

    from importlib.metadata import PackageNotFoundError, version

    def version_of(package: str) -> str:
        try:
            return version(package)
        except PackageNotFoundError:
            return "not installed"

    print(f"sentencepiece {version_of('sentencepiece')}, tokenizers {version_of('tokenizers')}; "
          f"{len(training_texts(args.texts)):,} texts, {args.vocab_size:,} tokens, {args.runs} runs each")
    for trainer in args.trainers:
        if not available(trainer):
            print(f"  {trainer:14s} skipped: pip install tokenizers")
            continue
        runs = [learn_in_fresh_process(trainer, args.texts, args.vocab_size) for _ in range(args.runs)]
        same_tokens = all(set(run) == set(runs[0]) for run in runs)
        same_ids = all(run == runs[0] for run in runs)
        differing = max(len(set(run) ^ set(runs[0])) for run in runs) // 2
        print(f"  {trainer:14s} same tokens: {'yes' if same_tokens else f'no ({differing} differ)'}; "
              f"same tokens with the same ids: {'yes' if same_ids else 'no'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
