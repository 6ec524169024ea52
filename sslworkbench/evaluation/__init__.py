"""Evaluation: what a learned representation is worth — the last stage of the pipeline.

    probes.py        embed a split with a frozen backbone; kNN, the linear probe, the raw-input baselines
    finetune.py      fine-tuning a pretrained backbone (or one from scratch) on a few labels
    downstream.py    label-efficiency curves, retrieval, and other uses of frozen features
    zero_shot.py     CLIP's zero-shot classification and retrieval from captions
    language.py      language-model measures: perplexity, next-sentence and translation tests, generation
    word_vectors.py  word vectors by counting (PPMI + SVD), neighbours, analogies, category tests

Evaluation stands on ``methods/`` and below; it never imports ``training/``.
"""
