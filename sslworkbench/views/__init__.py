"""Views: what a method is shown of each sample — the second stage of the pipeline.

    images.py    random augmentations that make two views of an image (SimCLR's pipeline, batched)
    pretext.py   the pretext tasks' inputs and targets: rotations, jigsaw tiles, patches, masks, …
    tokens.py    masking and spans of token sequences (BERT, XLM, span contrast), GPT's shift by one
    clips.py     frames and their order in video clips (Shuffle & Learn, the arrow of time)
    audio.py     crops, masks and mixing of waveforms and spectrograms (COLA, CPC, masked spectrograms)

Views stand on ``data/`` alone: a method (``methods/``) imports the views it uses.
"""
