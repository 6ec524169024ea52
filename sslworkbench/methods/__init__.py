"""Methods by name. Each is a ``torch.nn.Module`` following the contract in
``base.py`` (read it first: it is everything the trainer knows about a method):

    .backbone                       the encoder being learned
    .training_step(batch) -> dict   {"loss": tensor, ...metrics}

where ``batch = (inputs, labels)``: for image methods uint8 images (N, 3, H, W)
on the training device. Self-supervised methods ignore the labels; they make
their own inputs and targets from the inputs.

    >>> from sslworkbench.methods import build_method
    >>> method = build_method("simclr", backbone="small_cnn", temperature=0.2)

Adding a method: one file with its class (its card included: ``base.py``), one import and
one line in ``METHODS`` below, its loss in ``losses.py``, and one test file
(``docs/architecture.md``). ``cards()`` shows every method's card side by side.
"""

from .arrow_of_time import ArrowOfTime
from .autoencoder import VAE, Autoencoder, DenoisingAutoencoder
from .barlow_twins import BarlowTwins
from .base import METHODS, Method, build_method, settings_of
from .bert import BERT
from .byol import BYOL
from .cards import cards
from .cbow import CBOW
from .clip import CLIP
from .cola import COLA
from .colorization import Colorization
from .context_encoder import ContextEncoder
from .cpc import CPC
from .dino import DINO
from .frame_order import FrameOrder
from .future_frames import FutureFrames
from .gpt import GPT
from .jigsaw import Jigsaw
from .mae import MAE
from .masked_spectrogram import MaskedSpectrogram
from .memory_bank import MemoryBank
from .micle import MICLe
from .mlm import MaskedLanguageModel
from .moco import MoCo
from .relative_patch import RelativePatchLocation
from .rotation import RotationPrediction
from .simclr import SimCLR
from .simsiam import SimSiam
from .span_contrast import SpanContrast
from .supcon import InstanceSupCon, SupCon
from .supervised import Supervised
from .swav import SwAV
from .temporal_contrast import TemporalContrast
from .tlm import TranslationLM
from .vicreg import VICReg
from .word2vec import Word2Vec

for method in (
    Supervised,
    # the classic pretext tasks (notebook 03)
    RotationPrediction, Jigsaw, RelativePatchLocation, Colorization, ContextEncoder,
    Autoencoder, DenoisingAutoencoder, VAE,
    # the joint-embedding methods (notebooks 01, 02, 04, 05)
    SimCLR, MoCo, MemoryBank, BYOL, SimSiam, BarlowTwins, VICReg, DINO, SwAV, SupCon, InstanceSupCon, MICLe,
    # masked image modelling on a vision transformer (notebook 10)
    MAE,
    # token sequences (text: notebooks 06–08)
    SpanContrast, Word2Vec, CBOW, MaskedLanguageModel, BERT, GPT, TranslationLM,
    # images and their captions (notebook 11)
    CLIP,
    # video clips: time as the supervisor (notebook 12)
    TemporalContrast, FrameOrder, ArrowOfTime, FutureFrames,
    # sound (notebook 13)
    COLA, CPC, MaskedSpectrogram,
):
    METHODS[method.name] = method

__all__ = ["METHODS", "Method", "build_method", "cards", "settings_of"]
