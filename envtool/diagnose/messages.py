"""torch's own warnings and errors: how each one is spotted in a paste, joined, and read.

Each wording was checked against torch's source or real reports (named next to it). This is
the one home of these patterns: the rules read torch's messages through the readers here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from envtool.diagnose.lines import _KEYS, _MAX_LINE, _MAX_MESSAGE, _clean_lines, _key_of, _one_of

# --------------------------------------------------------------------------- torch messages


@dataclass(frozen=True)
class _Kind:
    """One torch warning or error: how to spot it, where it starts, when it is complete."""

    name: str
    triggers: tuple[str, ...]
    starts: tuple[str, ...] = ()  # phrases that may open the message, earliest wins
    done: re.Pattern[str] | None = None  # the joined message is complete once this matches
    unless: tuple[str, ...] = ()  # skip the line when another kind covers it
    max_lines: int = 8
    absorbs: tuple[str, ...] = ()  # triggers that may appear inside this message's wrapped lines


_TRIGGERED = r"|\(Triggered internally at [^)]*\)"

# Each wording below was checked against torch's source or real reports; the source is
# named next to it. Messages are matched on these fixed phrases, never on whole sentences,
# so a changed URL or a paste that cut the tail off still counts.
_KINDS: tuple[_Kind, ...] = (
    # c10/cuda/CUDAFunctions.cpp (driver check), printed as a RuntimeError or as a
    # "CUDA initialization:" UserWarning; the 0.4-1.x Python version (torch/cuda/__init__.py
    # _check_driver) wrapped it over six lines. Seen in lllyasviel/Fooocus#1313 (11040),
    # wuhuikai/FastFCN#37 (wrapped, 9000), IEIT-Yuan/Yuan-2.0#65 (UserWarning form).
    _Kind(
        "driver_too_old",
        ("driver on your system is too old",),
        ("CUDA initialization: ", "The NVIDIA driver", "NVIDIA driver on your system"),
        re.compile(r"the CUDA driver\.|CUDA driver\.$" + _TRIGGERED),
    ),
    # torch/cuda/__init__.py _check_driver / c10 CUDAHooks; princeton-nlp/SimCSE#244 (one line),
    # AbnerHqC/GaitSet#95 (old three-line form), HIT-SCIR/ltp#468 (UserWarning form).
    _Kind(
        "no_driver",
        ("Found no NVIDIA driver on your system",),
        ("CUDA initialization: ", "Found no NVIDIA driver"),
        re.compile(r"index\.aspx" + _TRIGGERED),
    ),
    # c10/cuda/CUDAFunctions.cpp; pytorch/pytorch#131117, wenet-e2e/wenet#700. Also cuInit's
    # CUDA_ERROR_NOT_INITIALIZED (3) as other programs print it: Ollama's "cuda driver library init failure: 3"
    # (ollama/ollama#11593), JAX's and numba's "CUDA_ERROR_NOT_INITIALIZED".
    _Kind(
        "driver_init_failed",
        ("CUDA driver initialization failed", "cuda driver library init failure: 3", "CUDA_ERROR_NOT_INITIALIZED"),
        ("CUDA initialization: ", "CUDA driver initialization failed", "cuda driver library init failure"),
        re.compile(r"CUDA gpu\.?|init failure: 3\b|_NOT_INITIALIZED\b" + _TRIGGERED),
        unless=tuple(f"init failure: 3{d}" for d in range(10)),  # (error 35, 304 and the like are not 3)
    ),
    # c10/cuda/CUDAFunctions.cpp device_count_impl; "Error 804: forward compatibility was
    # attempted on non supported HW" in PKU-YuanGroup/Video-LLaVA#22 and hpcaitech/ColossalAI#4381,
    # "Error 802: system not yet initialized" in gpustack/gpustack#1254.
    _Kind(
        "device_count_error",
        ("Unexpected error from cudaGetDeviceCount",),
        ("CUDA initialization: ", "Unexpected error from cudaGetDeviceCount"),
        re.compile(r"Error \d+: \w[^.(]*?(?=\s*\(Triggered|\s*$)" + _TRIGGERED),
        absorbs=(
            "forward compatibility was attempted on non supported HW",
            "unsupported display driver / cuda driver combination",
        ),
    ),
    # cudaErrorSystemDriverMismatch (803): "system has unsupported display driver / cuda driver combination",
    # outside the cudaGetDeviceCount wording above (CUDA Runtime API, cudaError enum; easydiffusion/
    # easydiffusion#134 and #379 quote it inside that wording).
    _Kind(
        "system_driver_mismatch",
        ("unsupported display driver / cuda driver combination", "cudaErrorSystemDriverMismatch"),
        ("CUDA initialization: ", "CUDA error: ", "system has unsupported", "cudaErrorSystemDriverMismatch"),
        re.compile(r"combination|cudaErrorSystemDriverMismatch"),
        unless=("cudaGetDeviceCount",),
    ),
    # The same CUDA error (cudaErrorCompatNotSupportedOnDevice) raised outside device_count; also by its number alone,
    # as LAMMPS' GPU package prints the driver API's code ("Cuda driver error 804 in call at file '…nvd_device.h'",
    # lammps/lammps#4849: an RTX 5080 on a driver that does not support it)
    _Kind(
        "forward_compat",
        (
            "forward compatibility was attempted on non supported HW",
            "Cuda driver error 804 ",
            "CUDA driver error 804 ",
            # TensorRT's "CUDA initialization failure with error 804" (NVIDIA/TensorRT#1354: a driver of CUDA 11.2
            # under a CUDA 11.3 container)
            "CUDA initialization failure with error 804",
        ),
        (
            "CUDA initialization: ",
            "CUDA error: ",
            "forward compatibility",
            "Cuda driver error",
            "CUDA driver error",
            "CUDA initialization failure",
        ),
        re.compile(r"non supported HW|error 804\b"),
        unless=("cudaGetDeviceCount",),
    ),
    # torch/cuda/__init__.py _check_cubins (torch 1.8+): three lines, the GPU name first.
    # "sm_{}" with the capability as one number in torch 2.x ("sm_120", pytorch/pytorch#150733);
    # "sm_86 ... sm_37 sm_50 sm_60 sm_70." in nerfstudio-project/nerfacc#80 and
    # bismex/MetaBIN#15 (with "compute_37").
    _Kind(
        "incompatible_capability",
        # Short triggers: a narrow paste may wrap the sentence anywhere.
        # (its second line alone, "The current PyTorch install supports CUDA capabilities sm_37 ... sm_70.", is
        # printed only inside this warning: fedbiomed/fedbiomed#464 quotes just that line)
        (
            "with CUDA capability sm_",
            "is not compatible with the current PyTorch",
            "The current PyTorch install supports CUDA capabilities",
        ),
        (),
        re.compile(r"get-started/locally"),
        absorbs=("The current PyTorch install supports CUDA capabilities",),
    ),
    # torch/cuda/__init__.py _check_capability, torch 0.4-2.x:
    # "Found GPU%d %s which is of cuda capability %d.%d. PyTorch no longer supports this GPU
    # because it is too old. The minimum cuda capability (that we support|supported by this
    # library) is %d.%d." -- alievk/avatarify-python#58, AUTOMATIC1111/stable-diffusion-webui#3003.
    # torch 2.x's _check_capability: "Found GPU%d %s which is of cuda capability %d.%d. Minimum and Maximum
    # cuda capability supported by this version of PyTorch is (%d.%d) - (%d.%d)" (pytorch/pytorch#172629).
    _Kind(
        "old_gpu",
        ("which is of cuda capability",),
        ("Found GPU",),
        re.compile(r"minimum cuda capability [^.]*?is \d+\.\d+|\(\d+\.\d+\)\s*-\s*\(\d+\.\d+\)"),
    ),
    # torch/cuda/__init__.py _warn_unsupported_code (torch 2.10+): "Found GPU%d %s which is of
    # compute capability (CC) %d.%d." then "- 7.5 which supports hardware CC >=7.5,<8.0" lines
    # and install advice -- pytorch/pytorch#182250, pytorch/pytorch#166185.
    _Kind(
        "unsupported_code",
        ("which is of compute capability (CC)",),
        ("Found GPU",),
        None,
        max_lines=40,
    ),
    # The CUDA error string of cudaErrorNoKernelImageForDevice, raised by torch's kernel
    # launch checks; kohjingyu/gill#39, mit-han-lab/llm-awq#238.
    _Kind(
        "no_kernel_image",
        ("no kernel image is available for execution on the device",),
        ("CUDA error: ", "no kernel image"),
        re.compile(r"on the device"),
    ),
    # torch/cuda/__init__.py _lazy_init: raise AssertionError("Torch not compiled with CUDA enabled").
    _Kind(
        "not_compiled_with_cuda",
        # also as a report retells it ("it complained that Torch was not compiled with CUDA enabled",
        # invoke-ai/InvokeAI#22)
        ("Torch not compiled with CUDA enabled", "Torch was not compiled with CUDA enabled"),
        ("Torch not compiled", "Torch was not compiled"),
        re.compile(r"enabled"),
    ),
    # cudaErrorInsufficientDriver (35), older torch: "cuda runtime error (35) : CUDA driver
    # version is insufficient for CUDA runtime version" -- mlcommons/inference#54.
    _Kind(
        "driver_insufficient",
        ("driver version is insufficient for CUDA runtime version",),
        ("cuda runtime error", "CUDA error: ", "CUDA driver version"),
        re.compile(r"runtime version"),
    ),
    # cuDNN's CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH ("Some cuDNN sub-libraries have different versions, indicating an
    # installation issue", cuDNN's API reference): two cuDNN installs mixed on the loader's path (livepeer/comfystream
    # #497: a base image's cuDNN beside the wheel's)
    # (as an error prints it: torch's "cuDNN error: CUDNN_STATUS_…", "failed with status CUDNN_STATUS_…"; not the
    # status named in a sentence). cuDNN 8 called it CUDNN_STATUS_VERSION_MISMATCH (from 8.0.1; cuDNN 9's headers keep
    # that name as an alias of the new one): "cuDNN error: CUDNN_STATUS_VERSION_MISMATCH" on Colab beside an extra
    # nvidia-cudnn wheel (MahmoudAshraf97/whisper-diarization#120)
    _Kind(
        "cudnn_sublibrary_mismatch",
        (
            ": CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
            "status CUDNN_STATUS_SUBLIBRARY_VERSION_MISMATCH",
            ": CUDNN_STATUS_VERSION_MISMATCH",
            "status CUDNN_STATUS_VERSION_MISMATCH",
        ),
        (),
        re.compile(r"."),
        max_lines=1,
    ),
    # The open kernel module on a GPU without a GSP: "NVRM: The NVIDIA GPU … installed in this system is not supported
    # by open nvidia.ko because it does not include the required GPU System Processor (GSP)" (pop-os/pop#3859: a GTX
    # 1050 given nvidia-driver-580-open)
    _Kind(
        "open_module_unsupported",
        ("not supported by open nvidia.ko", "nvidia.ko because it does not include the required GPU"),
        (),
        re.compile(r"."),
        max_lines=1,
    ),
    # A CUDA extension or library without code for the GPU's compute capability, in its own words: tiny-cuda-nn's
    # "Could not find compatible tinycudann extension for compute capability 75" (NVlabs/tiny-cuda-nn#230), RAPIDS'
    # "This cuDF installation is missing the necessary PTX files that are <=50" (NVIDIA/cuml#5484)
    _Kind(
        "extension_no_arch",
        (
            "Could not find compatible tinycudann extension for compute capability",
            "installation is missing the necessary PTX files",
            "not compiled for the gpu architecture",  # xmr-stak: "miner not compiled for the gpu architecture 21."
            # TensorFlow's "Ignoring visible gpu device (device: 0, name: Tesla K80, ..., compute capability: 3.7) with
            # Cuda compute capability 3.7. The minimum required Cuda capability is 6.0." (tlkh/ai-lab#30)
            "The minimum required Cuda capability is",
        ),
        (),
        re.compile(r"."),
        max_lines=1,
    ),
    # CuPy's own warning at import: "CuPy may not function correctly because multiple CuPy packages are installed in
    # your environment:" then the packages ("cupy-cuda12x, cupy-cuda13x") a line or two later (cupy/_environment.py;
    # gpustack/gpustack#5459)
    _Kind(
        "cupy_multiple",
        ("multiple CuPy packages are installed",),
        ("CuPy may not function correctly",),
        re.compile(r"cupy-\w+\s*,\s*cupy-\w+"),
        max_lines=4,
    ),
    # XLA (JAX, TensorFlow) finding its ptxas older than the GPU: "…/nvidia/cuda_nvcc/bin/ptxas ptxas too old. Falling
    # back to the driver to compile." (an XlaRuntimeError UNIMPLEMENTED where the driver cannot either:
    # Model3DBio/AlphaFold3-Conda-Install#2, an RTX 5090 with a CUDA 12.6 nvcc wheel)
    _Kind("ptxas_too_old", ("ptxas too old",), (), re.compile(r"."), max_lines=1),
    # docker's warning that an image is for another CPU architecture than the host: "The requested image's platform
    # (linux/amd64) does not match the detected host platform (linux/arm64/v8) and no specific platform was requested"
    # (linghu8812/tensorrt_inference#144: an x86-64 CUDA image built on a Jetson)
    _Kind("image_platform_mismatch", ("does not match the detected host platform",), (), re.compile(r"."), max_lines=1),
    # the kernel refusing a program of another CPU architecture, as runc and shells print it ("standard_init_linux.go:
    # 228: exec user process caused: exec format error", "exec /bin/sh: exec format error", bash's "cannot execute
    # binary file: Exec format error")
    _Kind("exec_format_error", ("exec format error", "Exec format error"), (), re.compile(r"."), max_lines=1),
    # Windows' loader finding a DLL without a function the program calls: "The procedure entry point rocblas_… could
    # not be located in the dynamic link library (…\\lib\\ollama\\hip_blas.dll)" (likelovewant/ollama-for-amd#41:
    # rocBLAS files for HIP 5.7 under an Ollama built with HIP 6.1.2)
    _Kind(
        "entry_point_missing",
        ("could not be located in the dynamic link library",),
        ("The procedure entry point", "Entry Point Not Found"),
        re.compile(r"\.dll", re.I),
        max_lines=2,
    ),
    # text-embeddings-inference's (candle's) start-up check of the GPU against the capability it was built for: "Could
    # not start backend: Runtime compute cap 75 is not compatible with compile time compute cap 80"
    # (huggingface/text-embeddings-inference#34: RTX 2080s under the image built for 8.0; #15, #30, #137 the same)
    _Kind(
        "compute_cap_mismatch", ("is not compatible with compile time compute cap",), (), re.compile(r"."), max_lines=1
    ),
    # DGL's CPU build asked for a CUDA device: "Check failed: allow_missing: Device API cuda is not enabled. Please
    # install the cuda version of dgl." (dgl/src/runtime/c_runtime_api.cc; dmlc/dgl#5427)
    _Kind("dgl_cpu_build", ("Device API cuda is not enabled",), (), re.compile(r"."), max_lines=1),
    # pip finding no torch on the index it was pointed at ("ERROR: No matching distribution found for torch==2.1.0"):
    # read beside the index and the platform (DeepGraphLearning/ULTRA#8: PyTorch's cu118 index on a MacBook)
    _Kind("no_matching_torch", ("No matching distribution found for torch",), (), re.compile(r"."), max_lines=1),
    # CTranslate2's loader finding no cuDNN of the major it was built for: "Unable to load any of
    # {libcudnn_ops.so.9.1.0, libcudnn_ops.so.9.1, libcudnn_ops.so.9, libcudnn_ops.so}" then "Invalid handle. Cannot
    # load symbol cudnnCreateTensorDescriptor" (Softcatala/whisper-ctranslate2#115, m-bain/whisperX#901: cuDNN 8
    # beside a CTranslate2 built for cuDNN 9)
    _Kind("cudnn_unloadable", ("Unable to load any of {libcudnn",), (), re.compile(r"."), max_lines=1),
    # CTranslate2's loader finding no library of the CUDA major it was built for: "Library cublas64_12.dll is not
    # found or cannot be loaded" (dmMaze/BallonsTranslator#404, jhj0517/Whisper-WebUI#102: CTranslate2 4 for CUDA 12
    # in a CUDA 11 set-up), "Library libcublas.so.12 is not found" (rhasspy/wyoming-faster-whisper#30)
    _Kind(
        "cuda_lib_unloadable",
        (" is not found or cannot be loaded", ".so.12 is not found", ".so.11 is not found", ".so.13 is not found"),
        ("Library ",),
        re.compile(r"."),
        max_lines=1,
    ),
    # PaddlePaddle's cuDNN check: "[cudnn init] libcudnn v5 with header v7 unmatched!" (PaddlePaddle/Paddle#12965: the
    # cuDNN 5 library first on the loader's path, the program built with cuDNN 7's header)
    _Kind("cudnn_header_mismatch", (" with header v",), (), re.compile(r"."), max_lines=1),
    # TensorFlow's cuDNN check (stream_executor/cuda/cuda_dnn.cc): "Loaded runtime CuDNN library: 7301 (compatibility
    # version 7300) but source was compiled with 7003 (compatibility version 7000)" (balancap/SSD-Tensorflow#340),
    # "Loaded runtime CuDNN library: 8.0.5 but source was compiled with: 8.1.0"
    _Kind(
        "cudnn_runtime_mismatch",
        ("Loaded runtime CuDNN library",),
        ("Loaded runtime CuDNN library",),
        re.compile(r"compiled with:?\s*\d"),
        max_lines=3,
    ),
    # NVIDIA's NGC images check the host driver at start: "ERROR: This container was built for NVIDIA Driver Release
    # 535.86 or later, but\n       version 510.85.02 was detected and compatibility mode is UNAVAILABLE."
    # (NVIDIA/TensorRT-LLM#23)
    _Kind(
        "ngc_driver_floor",
        ("This container was built for NVIDIA Driver Release",),
        (),
        re.compile(r"was detected"),
        max_lines=2,
    ),
    # NVIDIA Omniverse's (Isaac Sim's) driver check: "The currently installed NVIDIA graphics driver is unsupported or
    # has known issues. Reason for failure: The minimum Omniverse RTX requirement on Linux Installed driver: 535.5 The
    # unsupported driver range: [0.0, 535.129) The recommended drivers: 535.161.07" (isaac-sim/IsaacAutomator#40)
    _Kind("omniverse_driver_floor", ("The unsupported driver range: [",), (), re.compile(r"."), max_lines=1),
    # cudaErrorUnsupportedPtxVersion (222), "the provided PTX was compiled with an unsupported toolchain": the CUDA
    # Runtime API's own words, "the PTX was generated by a compiler newer than what is supported by the CUDA driver"
    # (mudler/LocalAI#1627: a cuda12.3-built image on driver 525); the driver API's name for it, as OpenMM prints it
    # ("Error loading CUDA module: CUDA_ERROR_UNSUPPORTED_PTX_VERSION (222)", openmm/openmm#3598 on driver 450)
    _Kind(
        "unsupported_ptx",
        ("PTX was compiled with an unsupported toolchain", "CUDA_ERROR_UNSUPPORTED_PTX_VERSION"),
        (),
        re.compile(r"."),
        max_lines=1,
    ),
    # The kernel module's build cannot start: no headers of the running kernel in the package repositories (dnf's
    # "Unable to find a match: kernel-headers-…" in the GPU Operator's driver pod, NVIDIA/gpu-operator#234; apt's
    # "Unable to locate package linux-headers-…")
    _Kind(
        "kernel_headers_missing",
        (
            "Unable to find a match: kernel-headers",
            "Unable to find a match: kernel-devel",
            "Unable to locate package linux-headers-",
        ),
        (),
        re.compile(r"."),
        max_lines=1,
    ),
    # NCCL's CUDA-graph check: "NCCL cannot be captured in a graph if either it wasn't built with CUDA runtime >= 11.3
    # or if the installed CUDA driver < R465" (vllm-project/vllm#3069: an NCCL built for cuda11.0 beside CUDA 11.6)
    _Kind("nccl_graph_capture", ("NCCL cannot be captured in a graph",), (), re.compile(r"R\d{3}"), max_lines=2),
    # nvidia-smi / NVML: "Failed to initialize NVML: Driver/library version mismatch"
    # (pytorch/pytorch#45109, YoshitakaMo/localcolabfold#127; "Driver/Library" in
    # rajeshroy402/DeepStream-dGPU-Installation#5). TensorFlow's and XLA's words for the same split: "kernel version
    # 515.48.7 does not match DSO version 510.73.5 -- cannot find working devices in this configuration"
    # (jax-ml/jax#11477: the kernel module and libcuda of two driver releases)
    _Kind(
        "nvml_mismatch",
        (
            "Driver/library version mismatch",
            "Driver/Library version mismatch",
            "driver/library version mismatch",
            "does not match DSO version",
        ),
        ("Failed to initialize NVML", "NVML", "Driver/", "kernel version"),
        re.compile(r"mismatch|this configuration"),
    ),
    # Loader errors on "import torch": "ImportError: .../libtorch_cuda.so: undefined symbol:
    # cudaLaunchKernelExC, version libcudart.so.11.0" (Layne-Huang/PMDM#5) and
    # "ImportError: libcudnn.so.8: cannot open shared object file: No such file or directory"
    # (pytorch/pytorch#104259, pytorch/pytorch#165812 for libcudnn.so.9).
    # glibc's loader words a symbol of another version of the library the same way: "libcublas.so.11: symbol
    # free_gemm_select version libcublasLt.so.11 not defined in file libcublasLt.so.11 with link time reference"
    # (Sara-Ahmed/SiT#12: a conda cudatoolkit's libcublasLt beside torch's libcublas).
    _Kind("undefined_symbol", ("undefined symbol: ", "with link time reference"), (), re.compile(r".")),
    # cudarc (the Rust CUDA bindings under candle and mistral.rs) when the loader finds no libcuda: 'Unable to find
    # cuda lib under the names ["cuda", "nvcuda"]' (chelsea0x3b/cudarc#255: WSL's /usr/lib/wsl/lib not on the path)
    _Kind("libcuda_not_found", ("Unable to find cuda lib under the names",), (), re.compile(r"."), max_lines=1),
    # A driver API function the driver's libcuda or nvcuda.dll lacks, as a loader names it: Ollama's 'unable to load
    # cuda driver library" library=C:\WINDOWS\system32\nvcuda.dll error="symbol lookup for cuCtxCreate_v3 failed'
    # (ollama/ollama#6604: the driver too old); the Linux loader's "undefined symbol: cuXxx" is undefined_symbol's
    _Kind("driver_symbol_lookup", ("symbol lookup for cu",), (), re.compile(r"."), max_lines=1),
    _Kind(
        "missing_library",
        ("cannot open shared object file",),
        (),
        re.compile(r"."),
        unless=("load library failed: libnvidia-ml",),  # libnvidia-container's, about the host (below)
    ),
    # cuDNN 8's own loader on Windows: "Could not load library cudnn_ops_infer64_8.dll. Error code 126" then
    # "Please make sure cudnn_ops_infer64_8.dll is in your library path!" (pytorch/pytorch#46312), and cuDNN
    # 8.3+'s "Could not locate zlibwapi.dll. Please make sure it is in your library path!" (its Windows install
    # guide has zlib installed beside it). The Linux form names the .so the loader could not open (above).
    _Kind(
        "cudnn_load",
        # (Linux: "Could not load library libcudnn_cnn_infer.so.8", alone where the paste cut its "Error: …" part)
        # (and CTranslate2's "Could not locate cudnn_ops_infer64_8.dll" under a torch that ships cuDNN 9's DLLs,
        # m-bain/whisperX#899)
        (
            "Could not load library cudnn",
            "Could not load library libcudnn",
            "Could not locate zlibwapi",
            "Could not locate cudnn",
            "Could not locate libcudnn",
        ),
        (),
        re.compile(r"."),
        unless=("cannot open shared object file",),
    ),
    # c10's device guard for a backend the build lacks: "RuntimeError: PyTorch is not linked with support for xpu
    # devices" (intel/intel-extension-for-pytorch#244: torch 1.11.0 from PyPI under IPEX on an Intel GPU), also for
    # cuda and mps devices.
    _Kind("not_linked", ("PyTorch is not linked with support for",), (), re.compile(r"devices")),
    # nvidia-smi's own errors (nvidia-smi(1); pytorch/pytorch#163658 for "No devices were found").
    _Kind(
        "smi_no_driver",
        # also with the apostrophe a rich-text editor or an input method types (qixuema/envs#4: "couldn‘t")
        (
            "couldn't communicate with the NVIDIA driver",
            "couldn\u2019t communicate with the NVIDIA driver",
            "couldn\u2018t communicate with the NVIDIA driver",
        ),
        ("NVIDIA-SMI has failed",),
        re.compile(r"NVIDIA driver\b"),
    ),
    _Kind("smi_no_devices", ("No devices were found",), (), re.compile(r".")),
    # cudaErrorUnknown as torch raises it: "CUDA unknown error - this may be due to an incorrectly
    # set up environment, e.g. changing env variable CUDA_VISIBLE_DEVICES after program start.
    # Setting the available devices to be zero." (c10/cuda/CUDAFunctions.cpp), and the plain
    # "CUDA error: unknown error" of a failed kernel launch. torch 0.4-1.x (THC) printed the same error as
    # "THCudaCheck FAIL file=.../THCGeneral.cpp line=47 error=999 : unknown error" and "RuntimeError: cuda runtime
    # error (999) : unknown error at .../THCGeneral.cpp:47" (pytorch/pytorch#43281); cudaErrorUnknown was 30
    # before CUDA 10.1 ("cuda runtime error (30) : unknown error", torch/cutorch#197).
    _Kind(
        "cuda_unknown",
        (
            "CUDA unknown error",
            "CUDA error: unknown error",
            "error (999) : unknown error",
            "error=999 : unknown error",
            "error (30) : unknown error",
            "error=30 : unknown error",
            # other CUDA programs' words for it: darknet's "CUDA Error: unknown error" (AlexeyAB/darknet#1070),
            # onnxruntime's "CUDA failure 999: unknown error" (immich-app/immich#13045), dlib's "Error while calling
            # cudaGetDevice(&the_device_id) in file ...gpu_data.cpp:201. code: 999, reason: unknown error"
            # (ageitgey/face_recognition#930): each fixed by a driver reinstalled or restarted
            "CUDA Error: unknown error",
            "CUDA failure 999: unknown error",
            "code: 999, reason: unknown error",
            # TensorFlow's and XLA's (JAX's) "failed call to cuInit: CUDA_ERROR_UNKNOWN: unknown error"
            # (kalininalab/alphafold_non_docker#13: fixed by reinstalling the driver)
            "cuInit: CUDA_ERROR_UNKNOWN",
        ),
        (
            "CUDA unknown error",
            "CUDA error: ",
            "CUDA Error: ",
            "CUDA failure 999",
            "Error while calling cuda",
            "THCudaCheck FAIL",
            "cuda runtime error",
            "failed call to cuInit",
        ),
        re.compile(r"to be zero\.?|unknown error(?:\s+at\s+\S+)?\s*$"),
    ),
    # cudaErrorSystemNotReady (802), outside the cudaGetDeviceCount wording above.
    _Kind(
        "not_initialized",
        ("system not yet initialized",),
        ("CUDA error: ", "cudaGetDeviceCount"),
        re.compile(r"."),
        unless=("Unexpected error from cudaGetDeviceCount",),
    ),
    # cudaErrorDevicesUnavailable (46): "CUDA error: CUDA-capable device(s) is/are busy or
    # unavailable" (modelscope/ms-swift#5118), older "all CUDA-capable devices are busy or unavailable".
    _Kind(
        "device_busy",
        ("busy or unavailable",),
        ("CUDA error: ", "all CUDA-capable", "CUDA-capable"),
        re.compile(r"unavailable"),
    ),
    # cudaErrorNoDevice (100), and torch's own words for it: c10/cuda/CUDAFunctions.cpp's
    # device_count_ensure_non_zero raises "No CUDA GPUs are available" when the driver answered with no device
    # (a missing driver is "Found no NVIDIA driver", above).
    _Kind(
        "no_device",
        # (numba's driver-API form: "Call to cuInit results in CUDA_ERROR_NO_DEVICE", NVIDIA/cuml#5624 in WSL 2)
        ("no CUDA-capable device is detected", "No CUDA GPUs are available", "cuInit results in CUDA_ERROR_NO_DEVICE"),
        ("CUDA error: ", "no CUDA-capable", "No CUDA GPUs", "Call to cuInit"),
        re.compile(r"detected|are available|NO_DEVICE"),
    ),
    # torch/backends/cudnn/__init__.py _init: "cuDNN version incompatibility: PyTorch was compiled
    # against (8, 3, 2) but linked against (8, 0, 3)" (pytorch/pytorch#80637), reworded in #80877
    # to "... but found runtime version (8, 6, 0) ...".
    # torch 0.4-1.x printed the versions as cudnnGetVersion() integers: "cuDNN version mismatch: PyTorch was
    # compiled against 7102 but linked against 7600" (VisionLearningGroup/DA_Detection#14); "cuDNN version
    # incompatibility: PyTorch was compiled against 7401 but linked against 7301" (akanimax/T2F#6).
    _Kind(
        "cudnn_incompat",
        ("cuDNN version incompatibility", "cuDNN version mismatch"),
        ("cuDNN version incompatibility", "cuDNN version mismatch"),
        re.compile(r"(?:linked against|runtime version) (?:\(\d+, \d+, \d+\)|\d{4,6})"),
    ),
    # torchvision/extension.py _check_cuda_version: "Detected that PyTorch and torchvision were compiled with
    # different CUDA versions. PyTorch has CUDA Version=11.7 and torchvision has CUDA Version=11.8. Please reinstall
    # the torchvision that matches your PyTorch install." (bmaltais/kohya_ss#1028; "different CUDA major versions"
    # in later torchvision). torchaudio and torch_scatter raise the same sentence ("PyTorch has CUDA version 11.7
    # whereas TorchAudio has CUDA version 11.8").
    _Kind(
        "companion_cuda_mismatch",
        # (a narrow paste wraps the sentence after "different": acheong08/Diffusion-ColabUI#108)
        ("were compiled with different CUDA", "Detected that PyTorch and"),
        ("Detected that PyTorch",),
        re.compile(r"matches your PyTorch\s+\w+\.?|has CUDA [Vv]ersion\s*=?\s*\d+\.\d+\.\s*$"),
        max_lines=4,
    ),
    # torchvision's C++ ops, registered by its _C library: "RuntimeError: operator torchvision::nms does not exist"
    # when that library was built for another torch (torchvision imports on without it; pytorch/vision README).
    _Kind("torchvision_ops_missing", ("operator torchvision::",), ("operator torchvision::",), re.compile(r"exist")),
    # TorchServe's GPU count: ConfigManager.getAvailableGpu runs `nvidia-smi --query-gpu=index --format=csv` and raises
    # "java.lang.AssertionError: Unexpected nvidia-smi response." where its output is no such table (pytorch/serve#2000:
    # the GPU image on a machine without a GPU).
    _Kind("smi_unexpected", ("Unexpected nvidia-smi response",), ("Unexpected nvidia-smi response",), max_lines=1),
    # The dispatcher's "Could not run 'torchvision::nms' with arguments from the 'CUDA' backend. This could be because
    # the operator doesn't exist for this backend, ..." (c10/core/dispatch/OperatorEntry.cpp, reportError): an
    # operator its library registered for the CPU only (a torchvision wheel without CUDA kernels beside a CUDA torch,
    # ltdrdata/ComfyUI-Impact-Pack#958), or torch's own ("aten::...") in a build without CUDA.
    _Kind(
        "op_no_cuda_kernel",
        ("with arguments from the 'CUDA' backend",),
        ("Could not run '",),
        re.compile(r"'CUDA' backend\.?"),
        max_lines=2,
    ),
    # nvidia-smi when the driver lost a GPU: "Unable to determine the device handle for GPU
    # 0000:3B:00.0: GPU is lost.  Reboot the system to recover this GPU" (nvidia-smi(1) output,
    # NVIDIA/gpu-operator and k8s-device-plugin threads); the kernel's "NVRM: Xid (PCI:...): 79, ...
    # GPU has fallen off the bus." (Xid 79 in NVIDIA's Xid catalog).
    _Kind(
        "gpu_lost",
        ("GPU is lost", "has fallen off the bus"),
        ("Unable to determine the device handle", "GPU is lost", "Xid", "GPU has fallen"),
        re.compile(r"recover this GPU\.?|off the bus\.?"),
        max_lines=2,
    ),
    # The caching allocator's "CUDA out of memory. Tried to allocate 2.00 GiB (GPU 0; 23.69 GiB total
    # capacity; ...)" (c10/cuda/CUDACachingAllocator.cpp; torch.OutOfMemoryError since 2.0) and the
    # runtime's "CUDA error: out of memory": the workload's size, not the environment.
    _Kind(
        "cuda_oom",
        ("CUDA out of memory", "CUDA error: out of memory"),
        ("CUDA out of memory", "CUDA error: "),
        re.compile(r"PYTORCH_CUDA_ALLOC_CONF[^.]*\.?|by PyTorch\)|out of memory\s*$"),
        max_lines=4,
    ),
    # ATen's device check, "Expected all tensors to be on the same device, but found at least two devices, cuda:0
    # and cpu! (when checking argument for argument mat2 in method wrapper_CUDA_mm)" (ORNL/HydraGNN#251,
    # rotem-shalev/Ham2Pose#6): the program's tensors, not the environment.
    _Kind(
        "device_mismatch",
        ("Expected all tensors to be on the same device",),
        ("Expected all tensors",),
        re.compile(r"!\s*$|\)\s*$"),
        max_lines=3,
    ),
    # ROCm's HIP runtime when the torch build has no code object for the GPU's gfx target:
    # "hipErrorNoBinaryForGpu: Unable to find code object for all current devices!"
    # (pytorch/pytorch#73534, ROCm/legacy-rocm-build#2061, oobabooga/textgen#5).
    _Kind("hip_no_binary", ("hipErrorNoBinaryForGpu",), (), re.compile(r".")),
    # Ollama's GPU discovery when its bundled ROCm lacks the GPU's target: 'amdgpu [0] gfx1103 is not supported by
    # /tmp/ollama…/rocm [gfx1030 gfx1100 …]' (ollama/ollama#4099), newer 'msg="amdgpu is not supported" gpu=0
    # gpu_type=gfx1103 … supported_types="[gfx1030 …]"'
    _Kind(
        "rocm_target_unsupported",
        ("amdgpu is not supported", "is not supported by /"),
        (),
        re.compile(r"."),
        max_lines=1,
    ),
    # The HIP runtime's hipErrorInvalidDeviceFunction, as torch's ROCm build and ROCm libraries print it:
    # "HIP error: invalid device function" (ROCm/rocALUTION#197), "HIP error: Invalid device function"
    # (ROCm/legacy-rocm-build#5264): a kernel with no code object for the GPU's gfx target.
    _Kind(
        "hip_invalid_device_function",
        (
            "HIP error: invalid device function",
            "HIP error: Invalid device function",
            "HIP error: Invalid Device Function",
            "hipErrorInvalidDeviceFunction",
        ),
        ("HIP error", "hipErrorInvalidDeviceFunction"),
        re.compile(r"."),
    ),
    # The same error as CUDA and other programs print it: torch's "CUDA error: invalid device function", ggml's "CUDA
    # error 98 at …/ggml-cuda.cu:7788: invalid device function" (its HIP build too: ggml-org/llama.cpp#4454, a 6700 XT
    # built without -DAMDGPU_TARGETS), TensorFlow's "status: Internal: invalid device function" (lightvector/KataGo#325)
    _Kind(
        "invalid_device_function",
        (": invalid device function",),
        ("CUDA error", "Non-OK-status", "status: "),
        re.compile(r"."),
        unless=("HIP error",),
        max_lines=1,
    ),
    # NVML's NVML_ERROR_NO_PERMISSION ("Insufficient Permissions", nvmlErrorString): this user cannot open the
    # NVIDIA device files, /dev/nvidiactl and /dev/nvidia* (MrForExample/ComfyUI-3D-Pack#227: an image's own user,
    # root works).
    _Kind(
        "nvml_no_permission",
        ("Failed to initialize NVML: Insufficient Permissions",),
        ("Failed to initialize NVML",),
        re.compile(r"Permissions"),
        max_lines=1,
    ),
    # WSL 2's NVML (through dxcore) when Windows does not lend the GPU to the Linux side:
    # "Failed to initialize NVML: GPU access blocked by the operating system" (microsoft/WSL#9166).
    _Kind(
        "nvml_blocked",
        ("GPU access blocked by the operating system",),
        ("Failed to initialize NVML", "Failed to properly shut down NVML", "GPU access blocked"),
        re.compile(r"operating system"),
    ),
    # ROCm's tools where the amdgpu kernel driver (its KFD) is not loaded: rocminfo's "ROCk module is NOT loaded,
    # possibly no GPU devices" and rocm-smi's "Driver not initialized (amdgpu not found in modules)"
    # (ROCm/legacy-rocm-build#1498: an Azure NVv4 VM, whose virtualised GPU ROCm does not support).
    _Kind(
        "rocm_no_kfd",
        ("ROCk module is NOT loaded", "amdgpu not found in modules"),
        ("ROCk module", "ERROR:root:", "Driver not initialized"),
        re.compile(r"."),
        max_lines=1,
    ),
    # The amdgpu driver's KFD refusing a GPU it cannot compute on: "kfd kfd: amdgpu: PITCAIRN  not supported in kfd"
    # (dmesg; drivers/gpu/drm/amd/amdkfd/kfd_device.c: a GCN 1.0 card, ROCm/legacy-rocm-build#2232)
    _Kind("kfd_unsupported", (" not supported in kfd",), ("kfd kfd:", "amdgpu:"), re.compile(r"kfd"), max_lines=1),
    # rocminfo where the HSA runtime cannot open the KFD: "hsa api call failure at line 900, file: .../rocminfo.cc. Call
    # returned 4104" (4104 is HSA_STATUS_ERROR_OUT_OF_RESOURCES, 0x1008, in ROCR-Runtime's hsa.h: no /dev/kfd, the
    # amdgpu driver not loaded, or one this user cannot open; ROCm/legacy-rocm-build#753: ROCm 2.2 on kernel 4.18)
    _Kind(
        "rocm_hsa_failure",
        ("hsa api call failure",),
        ("hsa api call failure",),
        re.compile(r"returned \d+"),
        max_lines=2,
    ),
    # Lightning's accelerator check where torch.backends.mps.is_available() is False: "MisconfigurationException:
    # MPSAccelerator can not run on your system since the accelerator is not available" (Lightning-AI/pytorch-
    # lightning#14634: an x86_64 conda python under Rosetta on an M1 Pro).
    _Kind(
        "mps_backend_unavailable",
        ("MPSAccelerator can not run on your system", "MPSAccelerator` can not run on your system"),
        ("MisconfigurationException: ", "MPSAccelerator"),
        re.compile(r"not available|\]\.?"),
        max_lines=3,
    ),
    # JAX's CUDA backend check (jax/_src/xla_bridge.py, jaxlib's cuda_versions): "Outdated cuDNN installation found.
    # Version JAX was built against: 8907 / Minimum supported: 9100 / Installed version: 8907"
    # (conda-forge/jaxlib-feedstock#277: jaxlib 0.4.30 needs cuDNN 9.1, the environment has 8.9.7).
    _Kind(
        "jax_cudnn_outdated",
        ("Outdated cuDNN installation found",),
        ("Unable to use CUDA because", "Outdated cuDNN installation found"),
        re.compile(r"Installed version:\s*\d+"),
        max_lines=6,
    ),
    # A CPU-only jaxlib where JAX was asked for the GPU: 'Could not find registered platform with name: "cuda".
    # Available platform names are: Host Interpreter' (jax-ml/jax#10349: an old CPU jaxlib left installed), and newer
    # JAX's "An NVIDIA GPU may be present on this machine, but a CUDA-enabled jaxlib is not installed".
    _Kind(
        "jax_cpu_only",
        (
            'registered platform with name: "cuda"',  # (a narrow paste wraps it after "Could not find")
            "a CUDA-enabled jaxlib is not installed",
        ),
        ("RuntimeError: Backend 'gpu'", "Backend 'gpu'", "An NVIDIA GPU may be present", "Could not find registered"),
        re.compile(r"Host Interpreter|Falling back to cpu\.?|not installed\.?"),
        max_lines=3,
    ),
    # xFormers' import check (xformers/_cpp_lib.py): "WARNING[XFORMERS]: xFormers can't load C++/CUDA extensions.
    # xFormers was built for:" then "PyTorch 2.1.2+cu121 with CUDA 1201 (you have 2.1.2+cpu)" (open-mmlab/PIA#30);
    # the forms reader reads the builds from that line.
    _Kind(
        "xformers_cant_load",
        ("xFormers can't load C++/CUDA extensions",),
        ("WARNING[XFORMERS]: ", "xFormers can't load"),
        re.compile(r"extensions\.?"),
        max_lines=1,
    ),
    # NVML's own errors as its Python bindings raise them (pynvml / nvidia-ml-py): NVML_ERROR_DRIVER_NOT_LOADED,
    # "pynvml.NVMLError_DriverNotLoaded: Driver Not Loaded" (wookayin/gpustat#110: a kernel updated without the
    # module rebuilt), and NVML_ERROR_LIBRARY_NOT_FOUND, "NVMLError_LibraryNotFound: NVML Shared Library Not Found".
    _Kind(
        "nvml_not_loaded",
        ("NVMLError_DriverNotLoaded", "NVML_ERROR_DRIVER_NOT_LOADED"),
        ("pynvml.", "NVMLError_DriverNotLoaded", "NVML_ERROR_DRIVER_NOT_LOADED"),
        re.compile(r"."),
        max_lines=1,
    ),
    # Ollama's GPU discovery with NVML's return code: "CUDA not detected: nvml vram init failure: 9", "nvmlInit_v2 err:
    # 18" (ollama/ollama#1898: 9, NVML_ERROR_DRIVER_NOT_LOADED, under WSL 2 from a Linux libnvidia-ml.so first on the
    # loader's path; NVML's nvmlReturn_t: 12 LIBRARY_NOT_FOUND, 18 LIB_RM_VERSION_MISMATCH)
    _Kind("nvml_init_code", ("nvml vram init failure:", "nvmlInit_v2 err:"), (), re.compile(r"."), max_lines=1),
    # ... and nvidia-smi's own words for it: "NVIDIA-SMI couldn't find libnvidia-ml.so library in your system. Please
    # make sure that the NVIDIA Display Driver is properly installed and present in your system." (NVIDIA/pyxis#96 in
    # an enroot container, NVIDIA/nvidia-docker#1163 in a container whose loader cache lacked the mounted libraries)
    _Kind(
        "nvml_no_library",
        (
            "NVMLError_LibraryNotFound",
            "NVML Shared Library Not Found",
            "NVML_ERROR_LIBRARY_NOT_FOUND",
            "couldn't find libnvidia-ml.so",
            "couldn\u2019t find libnvidia-ml.so",
            # NVIDIA's k8s device plugin: "Failed to start nvml with error: could not load NVML library"
            # (NVIDIA/k8s-device-plugin#23: nvidia not the node's default runtime)
            "could not load NVML library",
        ),
        ("pynvml.", "NVMLError_LibraryNotFound", "NVML Shared Library", "NVML_ERROR_LIBRARY_NOT_FOUND", "NVIDIA-SMI"),
        re.compile(r"."),
        max_lines=1,
    ),
    # NVML's "Unknown Error" inside a container that has no (or lost its) access to the GPU devices: NVIDIA's notice
    # NVIDIA/nvidia-docker#1730 ("Containers losing access to GPUs with error: Failed to initialize NVML: Unknown
    # Error", after a systemd reload of the container's cgroup), and a driver installed inside a container started
    # without --gpus (traveller59/spconv#185).
    _Kind(
        "nvml_unknown",
        ("Failed to initialize NVML: Unknown Error",),
        ("Failed to initialize NVML",),
        re.compile(r"Unknown Error"),
        max_lines=1,
    ),
    # torch's XPU backend with no device: "UserWarning: XPU device count is zero! (Triggered internally at
    # .../c10/xpu/XPUFunctions.cpp:50.)" from torch/xpu/__init__.py (intel/intel-extension-for-pytorch#702).
    _Kind("xpu_no_device", ("XPU device count is zero",), (), re.compile(r"zero!?" + _TRIGGERED)),
    # Any other CUDA error a program raised ("CUDA error: device-side assert triggered", "an illegal memory
    # access was encountered", cuBLAS/cuDNN status codes): torch's c10/cuda/CUDAException.h prefix. Last, so
    # every kind above that opens at the same place wins; it makes the paste a report, and no rule reads it.
    _Kind("cuda_error", ("CUDA error: ", "CUBLAS_STATUS_", "CUDNN_STATUS_"), ("CUDA error: ",), re.compile(r".")),
    # A CUDA extension being built, where a system toolkit matters: nvcc's own "nvcc fatal   : Unsupported gpu
    # architecture 'compute_86'", a traceback through torch/utils/cpp_extension.py, pip's "Building wheel for
    # ... (setup.py)", the arch list torch's extension builder reads (torch/utils/cpp_extension.py).
    _Kind(
        "extension_build",
        ("nvcc fatal", "cpp_extension.py", "Building wheel for", "TORCH_CUDA_ARCH_LIST"),
        (),
        re.compile(r"."),
    ),
    # torch/utils/cpp_extension.py _check_cuda_version, raised when CUDA_HOME's toolkit and torch's CUDA build
    # differ in major (CUDA_MISMATCH_MESSAGE, wrapped by torch itself): "The detected CUDA version (11.8)
    # mismatches the version that was used to compile\nPyTorch (12.1). Please make sure to use the same CUDA
    # versions." (vllm-project/vllm#2219, pengHTYX/Era3D#23). Before the extension's build, not its import.
    _Kind(
        "extension_cuda_mismatch",
        ("mismatches the version that was used to compile",),
        ("The detected CUDA version", "detected CUDA version"),
        re.compile(r"PyTorch \(\d+(?:\.\d+)*\)"),
        max_lines=2,
    ),
    # docker without the NVIDIA container toolkit: 'could not select device driver "" with
    # capabilities: [[gpu]]' (docker's daemon error for --gpus), 'could not select device driver "nvidia" with
    # capabilities: [[gpu]]' for compose's `driver: nvidia` (AbdBarho/stable-diffusion-webui-docker#130).
    _Kind(
        "docker_no_gpu_driver",
        ('could not select device driver "" with capabilities', 'could not select device driver "nvidia" with'),
        (),
        re.compile(r"."),
    ),
    # ggml's CUDA start-up finding no device (llama.cpp before 2024 said only "ggml_init_cublas: no CUDA devices found,
    # CUDA will be disabled"; ggml-org/llama.cpp#6184: a driver older than the CUDA 12.4 toolkit it was built with)
    _Kind("ggml_no_device", ("no CUDA devices found, CUDA will be disabled",), (), re.compile(r"."), max_lines=1),
    # docker asked for the NVIDIA runtime (`--runtime nvidia`, compose's `runtime: nvidia`) that its daemon has not
    # registered: "docker: Error response from daemon: unknown or invalid runtime name: nvidia"
    # (NVIDIA-AI-IOT/live-vlm-webui#28 on a Jetson Orin Nano: the Container Toolkit's runtime not configured)
    _Kind("docker_unknown_runtime", ("unknown or invalid runtime name: nvidia",), (), re.compile(r"."), max_lines=1),
    # NVIDIA's NGC images, started without the driver: "WARNING: The NVIDIA Driver was not detected.  GPU functionality
    # will not be available." then "Use 'nvidia-docker run' to start this container" (NVIDIA/nvidia-docker#1071: docker
    # 19.03 run without `--gpus`; newer images say "Use the NVIDIA Container Toolkit to start this container with GPU
    # support")
    _Kind(
        "ngc_no_driver",
        ("The NVIDIA Driver was not detected",),
        ("WARNING: The NVIDIA Driver",),
        re.compile(r"not be available|start this container|$"),
        max_lines=3,
    ),
    # libnvidia-container when it cannot load the host driver's NVML: "nvidia-container-cli: initialization error: load
    # library failed: libnvidia-ml.so.1: cannot open shared object file: no such file or directory" (NVIDIA/
    # libnvidia-container#231; docker/for-win#13835: "my drivers simply were not installed").
    _Kind(
        "container_cli_no_nvml",
        ("load library failed: libnvidia-ml.so",),
        ("nvidia-container-cli: initialization error", "initialization error"),
        re.compile(r"libnvidia-ml\.so[\w.]*"),
        max_lines=2,
    ),
    # libnvidia-container's own CUDA probe failing on the host: "nvidia-container-cli: initialization error: cuda
    # error: unknown error" (NVIDIA/nvidia-docker#1060: fixed by loading the kernel modules, `--load-kmods`)
    # ... and its NVML finding the host's kernel module not loaded: "nvidia-container-cli: initialization error: nvml
    # error: driver not loaded: unknown" (iterative/cml#1069: a cloud VM whose driver install had failed)
    _Kind(
        "container_cli_driver_not_loaded",
        ("nvml error: driver not loaded",),
        ("nvidia-container-cli: initialization error", "initialization error"),
        re.compile(r"driver not loaded"),
        max_lines=2,
    ),
    _Kind(
        "container_cli_cuda_error",
        ("initialization error: cuda error:",),
        ("nvidia-container-cli: initialization error", "initialization error"),
        re.compile(r"cuda error: [\w ]+"),
        max_lines=2,
    ),
    # libnvidia-container under WSL without a GPU: "nvidia-container-cli: initialization error: WSL environment
    # detected but no adapters were found" (AbdBarho/stable-diffusion-webui-docker#117: WSL 1, which has no GPU)
    _Kind(
        "container_cli_wsl_no_adapters",
        ("WSL environment detected but no adapters were found",),
        ("nvidia-container-cli: initialization error", "initialization error", "WSL environment detected"),
        re.compile(r"adapters were found"),
        max_lines=2,
    ),
    # libnvidia-container's check of a CUDA image's NVIDIA_REQUIRE_CUDA against the host driver: "nvidia-container-cli:
    # requirement error: unsatisfied condition: cuda>=12.4, please update your driver to a newer version, or use an
    # earlier cuda container" (vllm-project/vllm#5635): the host driver is too old for the image's CUDA. The 2018
    # releases spaced it, "unsatisfied condition: cuda >= 9.2" (NVIDIA/nvidia-docker#745, a 390 driver).
    # nvidia-docker 1 said it as "Error: unsupported CUDA version: 7.5 < 6.5" (NVIDIA/nvidia-docker#68).
    _Kind(
        "container_requires_cuda",
        ("unsatisfied condition: cuda>=", "unsatisfied condition: cuda >=", "unsupported CUDA version:"),
        ("nvidia-container-cli: requirement error", "requirement error", "Error: unsupported CUDA"),
        re.compile(r"cuda ?>= ?\d+\.\d+|\d+\.\d+ < \d+\.\d+"),
        max_lines=2,
    ),
    # The container runtime adding a GPU device node that does not exist: 'error gathering device information while
    # adding custom device "/dev/nvidia-uvm-tools": lstat /dev/nvidia-uvm-tools: no such file or directory'
    # (NVIDIA/nvidia-docker#288: after a reboot the driver's modules were not loaded yet)
    _Kind("device_node_missing", ("lstat /dev/nvidia",), (), re.compile(r"."), max_lines=1),
    # torch/__init__.py on Windows, when a DLL of torch\lib will not load: it appends ' Error loading "{dll}" or one
    # of its dependencies.' to the Windows error, whose own text is in the system's language ("[WinError 126] Das
    # angegebene Modul wurde nicht gefunden.", kohya-ss/sd-scripts#1597); 126, 127 and 1114 (pytorch/pytorch#131662,
    # #61947, nagadomi/nunif#701).
    _Kind(
        "windows_dll_load",
        # (". Error loading" where a narrow log wraps the DLL's path onto the next line)
        ("or one of its dependencies", ". Error loading"),
        ("OSError: [WinError", "[WinError", "WinError ", "Error loading"),
        re.compile(r"dependencies\.?"),
        max_lines=3,
        absorbs=("or one of its dependencies",),
    ),
    # torch/__init__.py on Windows (torch 1.x), when vcruntime140.dll or msvcp140.dll will not load: "Microsoft Visual
    # C++ Redistributable is not installed, this may lead to the DLL load failure." then the download URL, before the
    # "ImportError: DLL load failed" of `from torch._C import *` (qllokirin/ATRI-plugin#3).
    _Kind(
        "vc_redist_missing",
        ("Visual C++ Redistributable is not installed",),
        ("Microsoft Visual C++", "Visual C++"),
        re.compile(r"DLL load failure\.?|vc_redist\.x64\.exe"),
        max_lines=2,
    ),
    # Python's own ImportError on Windows when a DLL of an extension module will not load (its reason in the system's
    # language, often garbled by the console's code page): about torch where the traceback is in torch's import.
    _Kind("dll_load_failed", ("DLL load failed",), ("ImportError: ", "DLL load failed"), re.compile(r"."), max_lines=1),
    # apex's setup.py check_cuda_torch_binary_vs_bare_metal (NVIDIA/apex, copied by other extensions' setup.py):
    # "RuntimeError: Cuda extensions are being compiled with a version of Cuda that does not match the version used
    # to compile Pytorch binaries.  Pytorch binaries were compiled with Cuda 12.1." (NVIDIA/apex#1748); the toolkit's
    # version is in the nvcc banner it printed before.
    _Kind(
        "apex_cuda_mismatch",
        ("being compiled with a version of Cuda that does not match",),
        ("Cuda extensions are being compiled",),
        re.compile(r"compiled with Cuda \d+\.\d+\.?"),
        max_lines=3,
    ),
    # DeepSpeed's op builder (deepspeed/ops/op_builder/builder.py, CUDAMismatchException): ">- DeepSpeed Op Builder:
    # Installed CUDA version 12.2 does not match the version torch was compiled with 11.7, unable to compile cuda/cpp
    # extensions without a matching cuda version." (JIA-Lab-research/MGM#91)
    _Kind(
        "deepspeed_cuda_mismatch",
        ("does not match the version torch was compiled with",),
        ("DeepSpeed Op Builder", "Installed CUDA version"),
        re.compile(r"compiled with \d+(?:\.\d+)*"),
        max_lines=3,
    ),
    # Shared memory (/dev/shm) too small: torch's DataLoader worker SIGBUS handler (torch/csrc/DataLoader.cpp:
    # "ERROR: Unexpected bus error encountered in worker. This might be caused by insufficient shared memory
    # (shm).") and the worker's death it reports ("DataLoader worker (pid 325) is killed by signal: Bus error.",
    # msr-fiddle/pipedream#28).
    _Kind(
        "shm_bus_error",
        ("might be caused by insufficient shared memory", "killed by signal: Bus"),
        ("ERROR: Unexpected bus error", "Unexpected bus error", "DataLoader worker"),
        # torch 2.x goes on: "It is possible that dataloader's workers are out of shared memory. Please try to
        # raise your shared memory limit." (hard-wrapped in fastai/docker-containers#21)
        re.compile(r"\(shm\)|shared\s+memory|Bus error\.?\s*$"),
        max_lines=3,
    ),
    # ... and the bare report of a worker's death (torch/utils/data/dataloader.py: "DataLoader worker (pid(s) 25)
    # exited unexpectedly"), raised whatever killed it: /dev/shm full above all in a container, or memory.
    _Kind(
        "dataloader_exited", ("exited unexpectedly",), ("DataLoader worker",), re.compile(r"unexpectedly"), max_lines=1
    ),
    # ATen's MapAllocator, a tensor shared through a file in /dev/shm: "unable to write to file
    # </torch_169035_1920244589_10>: No space left on device (28)" (also without the errno, in older torch).
    _Kind(
        "shm_write_failed", ("unable to write to file </torch_",), ("unable to write",), re.compile(r">"), max_lines=1
    ),
    # NCCL's shared-memory transport (src/misc/shmutils.cc, include/shm.h): "Error while creating shared memory
    # segment /dev/shm/nccl-WU88OE (size 9637888), error: No space left on device (28)", "Error: failed to extend
    # /dev/shm/nccl-… to 9637892 bytes", "Call to posix_fallocate failed : No space left on device"
    # (NVIDIA/nccl#290, #342, pytorch/ci-infra#490).
    _Kind(
        "nccl_shm",
        (
            "Error while creating shared memory segment",
            "failed to extend /dev/shm/",
            "Call to posix_fallocate failed",
        ),
        ("Error while", "Error: failed", "Call to posix_fallocate"),
        re.compile(r"."),
        max_lines=1,
    ),
    # rocBLAS without a kernel library for the GPU's gfx target: since ROCm 5.2 TensileLibrary.dat is split per
    # target ("TensileLibrary_gfx90a.dat", AMD's rkamd in ROCm/rocBLAS#1267), and the generic file it falls back to
    # is missing: "rocBLAS error: Cannot read /opt/rocm/lib/rocblas/library/TensileLibrary.dat: Illegal seek for GPU
    # arch : gfx1201" (ROCm/AMDMIGraphX#3517), "...: No such file or directory" (pytorch/pytorch#96964, gfx1100).
    _Kind(
        "rocblas_no_tensile", ("rocBLAS error: Cannot read",), ("rocBLAS error",), re.compile(r"\.dat\b"), max_lines=2
    ),
    # torch's MPS backend refusing the macOS it runs on (aten/src/ATen/mps/MPSDevice.mm): "The MPS backend is
    # supported on MacOS 12.3+. Current OS version can be queried using `sw_vers`" (pytorch/pytorch#139425, where
    # torch 2.5.1 needed macOS 13: the floor it names is older than the build's), "...supported on macOS 14.0+".
    _Kind(
        "mps_macos_floor",
        ("The MPS backend is supported on MacOS", "The MPS backend is supported on macOS"),
        ("The MPS backend",),
        re.compile(r"\+"),
        max_lines=1,
    ),
    # torch before 1.12 has no "mps" device type: "RuntimeError: Expected one of cpu, cuda, xpu, ... device type at
    # start of device string: mps" (rasbt/machine-learning-notes#4: an older torch, in an x86_64 python, on an M1)
    _Kind("mps_device_unknown", ("device type at start of device string: mps",), (), re.compile(r"."), max_lines=1),
    # NCCL's CUDACHECK: "NCCL WARN Cuda failure 'invalid argument'" (NVIDIA/nccl#1518, before a shared memory
    # segment fails for that reason, not for its size).
    _Kind("nccl_cuda_failure", ("NCCL WARN Cuda failure",), ("Cuda failure",), re.compile(r"."), max_lines=1),
)

_ALL_TRIGGERS: tuple[str, ...] = tuple(t for k in _KINDS for t in k.triggers)
# Per kind: any trigger of another message (one pattern instead of a test per trigger on every wrapped line).
# (one pattern per distinct set of absorbed triggers: most kinds absorb none, and building each costs an import)
_BY_ABSORBS = {a: re.compile(_one_of([t for t in _ALL_TRIGGERS if t not in a])) for a in {k.absorbs for k in _KINDS}}
_OTHER_TRIGGERS = {k.name: _BY_ABSORBS[k.absorbs] for k in _KINDS}

# Prefixes stripped from the front of a message: "path.py:123: UserWarning: ", vLLM's
# "WARNING 10-07 03:01:24 _core_ext.py:180] ", "RuntimeError: " (once or, as some pastes
# show, twice).
_LOC_WARNING = re.compile(r"^\S{0,400}?:\d+:\s*\w*Warning:\s*")
_LOG_PREFIX = re.compile(r"^(?:WARNING|INFO|ERROR|DEBUG|CRITICAL)\s+\d\d-\d\d\s+\d\d:\d\d:\d\d\s+\S+\]\s*")
_EXC_TAIL = re.compile(r"(?:(?<![A-Za-z_])[A-Z]\w{0,80}(?:Error|Exception|Warning)\s*:\s*)+$")
_EXC_PREFIX = re.compile(r"^(?:[A-Za-z_][\w.]{0,80}(?:Error|Exception|Warning)\s*:\s*)+")

# A line that begins something new, so a wrapped message does not swallow it.
_NEW_RECORD = re.compile(
    r"^(?:Traceback\b|File \"|>>>|\$ |\[(?:pip\d?|conda)\]|GPU \d+:|```|[\w.]*(?:Error|Exception|Warning)\b"
    r"|\S+:\d+: \w*Warning|(?:WARNING|INFO|ERROR|DEBUG|CRITICAL)\b|CUDA kernel errors|For debugging consider"
    r"|Compile with `TORCH_USE_CUDA_DSA`|Collecting[\s`]*environment)"
)
_CODE_LINE = re.compile(r"^\s+(?:return\s|warnings\.warn\(|warn\(|_warn|[A-Za-z_][\w.]*\(.*\)\s*$|[\^~]+\s*$)")


def extract_torch_messages(text: str) -> tuple[str, ...]:
    """The warnings and errors torch printed, found anywhere in ``text``, each one whole.

    A message wrapped over several lines (by torch itself or by the paste) is joined with
    single spaces; location prefixes (``file.py:12: UserWarning:``) and exception class
    names are dropped; exact repeats are kept once, in order of first appearance.
    """
    return tuple(_messages_from_lines(_clean_lines(text)))


def _messages_from_lines(lines: Sequence[str]) -> list[str]:
    return [msg for _, _, msg in numbered_messages(lines)]


def numbered_messages(lines: Sequence[str]) -> list[tuple[int, str, str]]:
    """(index of the line it starts on, its kind, the joined message) for each torch/CUDA message in ``lines``."""
    # The kinds are looked at only on the lines that hold a trigger, and only the kinds whose trigger
    # occurs on such a line at all.
    present: set[str] = set()
    seams: set[int] = set()
    at_lines = _trigger_lines(lines, [t for k in _KINDS for t in k.triggers], present, seams)
    kinds = [k for k in _KINDS if any(t in present for t in k.triggers)]
    out: list[tuple[int, str, str]] = []
    seen: set[str] = set()
    n = len(lines)
    after = 0  # the first line not yet read (a message read goes on over the lines after its start)
    for i in at_lines:
        if i < after:
            continue
        after = i + 1
        line = lines[i][:_MAX_LINE]
        consumed = 0
        if i in seams:
            # a trigger the paste broke over two lines ("The NVIDIA driver on your system is too" / "old (found ...")
            line = f"{line} {lines[i + 1][:_MAX_LINE]}"
            consumed = 1
        hits = _hits_in_line(line, kinds)
        if not hits:
            continue
        for j, (start, kind) in enumerate(hits):
            end = hits[j + 1][0] if j + 1 < len(hits) else len(line)
            # (two records glued: "... installed and running.RuntimeError: Found no NVIDIA driver ...")
            msg = _strip_prefixes(_EXC_TAIL.sub("", line[start:end].strip()) if j + 1 < len(hits) else line[start:end])
            quote = _open_quote(line[:start]) if start else None
            if quote and quote in msg:
                # Quoted in prose ("I get the error 'Found no NVIDIA driver on your system', which is odd"):
                # the message ends at its closing quote.
                msg = msg[: msg.index(quote)]
            elif j + 1 == len(hits):
                # The last message on the line may go on over the next lines.
                while not _is_done(kind, msg) and consumed < kind.max_lines and i + 1 + consumed < n:
                    nxt = lines[i + 1 + consumed][:_MAX_LINE]
                    if _ends_message(nxt, kind):
                        break
                    msg = f"{msg} {nxt.strip()}"
                    consumed += 1
            msg = _trim_tail(" ".join(msg.split()))
            if msg and msg not in seen:
                seen.add(msg)
                out.append((i, kind.name, msg))
        after = i + 1 + consumed
    return out


_CLOSING = {"'": "'", '"': '"', "\u2018": "\u2019", "\u201c": "\u201d", "`": "`"}
_INNER = re.compile(r"\w['\u2019]\w")  # an apostrophe inside a word ("don't"), no quote


def _open_quote(head: str) -> str | None:
    """The closing quote of the quote still open where ``head`` (the prose before a message) ends, if any:
    'a problem "RuntimeError: CUDA error: ...' opens one before the message's own start phrase."""
    bare = _INNER.sub("", head)
    best, at = None, -1
    for opener, closer in _CLOSING.items():
        pos = bare.rfind(opener)
        if pos < 0:
            continue
        still_open = bare.count(opener) % 2 == 1 if opener == closer else bare.count(opener) > bare.count(closer)
        if still_open and pos > at:
            best, at = closer, pos
    return best


def _trigger_lines(lines: Sequence[str], triggers: Sequence[str], present: set[str], seams: set[int]) -> list[int]:
    """The indexes, in order, of the lines that hold a trigger within their first _MAX_LINE characters
    (the triggers found so are added to ``present``), or the start of one that goes on over the next line (those
    lines are added to ``seams``: a paste that wraps a sentence at a blank breaks a trigger there).

    One ``str.find`` scan per trigger of a block of lines joined: far cheaper than a pattern per
    line, and as linear. The lines are joined with blanks, so a trigger broken over two lines is found too, and
    joined with line breaks in a copy of the same length, which tells where each line starts. The blocks keep
    the joined copies small.
    """
    out: list[int] = []
    for base in range(0, len(lines), _BLOCK):
        joined = "\n".join(lines[base : base + _BLOCK])
        spaced = joined.replace("\n", " ")  # the same positions
        found: list[tuple[int, int, str]] = []  # (position, trigger length, trigger)
        for t in triggers:
            at = spaced.find(t)
            while at >= 0:
                found.append((at, len(t), t))
                at = spaced.find(t, at + len(t))
        found.sort()
        index, last = base, 0
        for at, size, t in found:
            index += joined.count("\n", last, at)
            last = at
            if t in present and out and out[-1] == index:
                continue
            if at + size - (joined.rfind("\n", 0, at) + 1) <= _MAX_LINE:
                if joined.find("\n", at, at + size) >= 0:
                    if index + 1 >= len(lines):
                        continue
                    seams.add(index)
                present.add(t)
                if not out or out[-1] != index:
                    out.append(index)
    return out


_BLOCK = 4096  # lines joined for one scan


def _hits_in_line(line: str, kinds: Iterable[_Kind]) -> list[tuple[int, _Kind]]:
    found: dict[int, _Kind] = {}
    for kind in kinds:
        if kind.unless and any(u in line for u in kind.unless):
            continue
        for trig in kind.triggers:
            pos = line.find(trig)
            if pos < 0:
                continue
            start = _message_start(line, pos, kind)
            # Two kinds opening at the same place are one message; keep the first.
            found.setdefault(start, kind)
            break
    return sorted(found.items(), key=lambda item: item[0])


def _message_start(line: str, pos: int, kind: _Kind) -> int:
    """Where the message holding the trigger at ``pos`` begins on its line."""
    best = None
    for phrase in kind.starts:
        at = line.rfind(phrase, 0, pos + len(phrase))
        if 0 <= at <= pos and (best is None or at < best):
            best = at
    if best is not None:
        return best
    # No opening phrase: the message starts after the last "...Warning:"/"...Error:" prefix
    # before the trigger, else at the start of the line.
    head = line[:pos]
    cut = max(head.rfind("Warning: "), head.rfind("Error: "), head.rfind("Exception: "))
    if cut >= 0:
        return cut + head[cut:].find(": ") + 2
    return len(head) - len(head.lstrip())


def _strip_prefixes(msg: str) -> str:
    msg = _LOG_PREFIX.sub("", msg, count=1)
    msg = _LOC_WARNING.sub("", msg, count=1)
    return _trim_tail(_EXC_PREFIX.sub("", msg, count=1).strip().lstrip("`"))


def _trim_tail(msg: str) -> str:
    # A message quoted in source or markdown ('raise AssertionError("...")', `...`) loses
    # the quote that closes it, so both spellings end up as one message; so does a quote that
    # closes a sentence of prose ('... on the device".').
    if len(msg) > 2 and msg[-1] == "." and _unbalanced_close(msg[:-1]):
        msg = msg[:-1]
    while _unbalanced_close(msg):
        msg = msg[:-1].rstrip()
    return msg


_OPENER = {")": "(", "\u201d": "\u201c", "\u2019": "\u2018"}


def _unbalanced_close(msg: str) -> bool:
    """``msg`` ends in a closing quote or parenthesis that nothing in it opened (a backtick always counts)."""
    if not msg or msg[-1] not in "`\"')\u201d\u2019":
        return False
    close = msg[-1]
    opener = _OPENER.get(close, close)
    if close == "`":
        return True
    if opener != close:
        return msg.count(opener) < msg.count(close)
    return msg.count(close) % 2 == 1


def _is_done(kind: _Kind, msg: str) -> bool:
    return kind.done is not None and kind.done.search(msg) is not None


def _ends_message(line: str, kind: _Kind) -> bool:
    s = line.strip()
    if not s:
        return True
    if _NEW_RECORD.match(s) or _CODE_LINE.match(line):
        return True
    if _OTHER_TRIGGERS[kind.name].search(line):
        return True
    key = _key_of(s)
    return key is not None and key in _KEYS


# --------------------------------------------------------------------------- message readers

_TOO_OLD = re.compile(r"too old \(found version (\d+)\)")
_INCOMPAT = re.compile(
    r"(?:^|\s)(?:(?P<name>\S.{0,200}?)\s+)?with CUDA capability sm_(?P<cc>\d+)\w*\s+is not compatible"
)
_SUPPORTS = re.compile(r"supports CUDA capabilities\s+(?P<list>(?:(?:sm|compute)_\d+[a-z]?[\s,]*)+)")
_ARCH_TOKEN = re.compile(r"(?:sm|compute)_\d+[a-z]?")
_FOUND_GPU = re.compile(
    r"Found GPU\s*(?P<idx>\d+)\s+(?P<name>\S.{0,200}?)\s+which is of (?:cuda|compute) capability"
    r"\s*(?:\(CC\)\s*)?(?P<maj>\d+)\.(?P<min>\d+)"
)
_CC_LIST_ITEM = re.compile(r"(?:^|\s)- (\d+)\.(\d+) which supports")


def parse_driver_too_old(msg: str) -> str | None:
    """The newest CUDA the driver supports, from torch's "driver ... too old (found version 11040)".

    The number is CUDA's driver version code, 1000 * major + 10 * minor (CUDA Driver API
    reference, cuDriverGetVersion: "CUDA 9.2 would be represented by 9020";
    https://docs.nvidia.com/cuda/cuda-driver-api/group__CUDA__VERSION.html), so 11040 -> "11.4".
    """
    m = _TOO_OLD.search(msg[:_MAX_MESSAGE])
    if not m:
        return None
    code = int(m.group(1))
    if code <= 0:
        return None
    return f"{code // 1000}.{(code % 1000) // 10}"


def parse_incompatible_capability(msg: str) -> tuple[str | None, str | None, tuple[str, ...]] | None:
    """(GPU name, its capability "12.0", the build's arch list) from torch's "... is not compatible ..." warning.

    ``None`` when ``msg`` is not that warning; a part the message lacks (it was cut) is ``None``
    or an empty tuple.
    """
    msg = msg[:_MAX_MESSAGE]
    if "The current PyTorch install supports CUDA capabilities" in msg and "is not compatible" not in msg:
        return None, None, parse_supported_arch_list(msg)  # the warning's second line alone
    if "with CUDA capability sm_" not in msg or "is not compatible" not in msg:
        return None
    name = cc = None
    m = _INCOMPAT.search(msg)
    if m:
        cc = _cc_from_sm(m.group("cc"))
        raw_name = m.group("name")
        if raw_name:
            name = _strip_prefixes(raw_name).strip() or None
    return name, cc, parse_supported_arch_list(msg)


def parse_found_gpu_capability(msg: str) -> list[tuple[int, str, str]]:
    """Every (index, name, "7.0") in torch's "Found GPU0 <name> which is of ... capability 7.0" warnings."""
    out = []
    for m in _FOUND_GPU.finditer(msg[:_MAX_MESSAGE]):
        out.append((int(m.group("idx")), m.group("name").strip(), f"{int(m.group('maj'))}.{int(m.group('min'))}"))
    return out


def parse_supported_arch_list(msg: str) -> tuple[str, ...]:
    """The archs a torch build holds, as torch's warnings list them ("sm_50", "compute_37", ...).

    Reads both the "supports CUDA capabilities sm_50 sm_60 ..." form and the newer
    "- 7.5 which supports hardware CC ..." list (turned into "sm_75").
    """
    msg = msg[:_MAX_MESSAGE]
    m = _SUPPORTS.search(msg)
    if m:
        return tuple(_ARCH_TOKEN.findall(m.group("list")))
    return tuple(f"sm_{int(a)}{int(b)}" for a, b in _CC_LIST_ITEM.findall(msg))


def _cc_from_sm(digits: str) -> str | None:
    # "sm_86" -> "8.6", "sm_120" -> "12.0": the last digit is the minor version.
    if len(digits) < 2:
        return None
    return f"{int(digits[:-1])}.{digits[-1]}"


# What a message says, for the rules (case-insensitive: some builds and pastes change the case).
_NO_KERNEL = re.compile(r"no kernel image is available", re.I)
_NO_DRIVER = re.compile(
    r"Found no NVIDIA driver|couldn't communicate with the NVIDIA driver|Driver/library version mismatch", re.I
)
_CPU_BUILD = re.compile(r"not compiled with CUDA enabled", re.I)
_INSUFFICIENT = re.compile(r"driver version is insufficient for CUDA runtime version", re.I)


def says_no_kernel_image(msg: str) -> bool:
    """CUDA's cudaErrorNoKernelImageForDevice text: the build has no kernels for this GPU."""
    return _NO_KERNEL.search(msg[:_MAX_MESSAGE]) is not None


def says_no_driver(msg: str) -> bool:
    """torch or nvidia-smi cannot reach a working driver (none found, or a driver/library mismatch)."""
    return _NO_DRIVER.search(msg[:_MAX_MESSAGE]) is not None


def says_driver_insufficient(msg: str) -> bool:
    """cudaErrorInsufficientDriver (35): "CUDA driver version is insufficient for CUDA runtime version"."""
    return _INSUFFICIENT.search(msg[:_MAX_MESSAGE]) is not None


_SYSTEM_DRIVER_MISMATCH = re.compile(
    r"unsupported display driver / cuda driver combination|cudaErrorSystemDriverMismatch|\bError 803\b", re.I
)


def says_system_driver_mismatch(msg: str) -> bool:
    """CUDA's Error 803, cudaErrorSystemDriverMismatch: "system has unsupported display driver / cuda driver
    combination" (libcuda and the kernel module of different versions)."""
    return _SYSTEM_DRIVER_MISMATCH.search(msg[:_MAX_MESSAGE]) is not None


def says_cpu_build(msg: str) -> bool:
    """torch's "Torch not compiled with CUDA enabled": a CPU-only build."""
    return _CPU_BUILD.search(msg[:_MAX_MESSAGE]) is not None


_GPU_TOO_OLD = re.compile(r"no longer supports this GPU because it is too old|which is of cuda capability", re.I)
_TORCH_PIN = re.compile(r"torch==(\d[\w.+]*\w)")


def says_gpu_too_old(msg: str) -> bool:
    """torch's "Found GPU0 ... which is of cuda capability 3.0 ... no longer supports this GPU because it is too old".

    Also read with the ``%d``/``%s`` placeholders left unfilled, as some builds print it.
    """
    return _GPU_TOO_OLD.search(msg[:_MAX_MESSAGE]) is not None


_CC_RANGE = re.compile(
    r"which is of cuda capability\s*(\d+)\.(\d+).{0,200}?\((\d+)\.(\d+)\)\s*-\s*\((\d+)\.(\d+)\)", re.I
)


def parse_capability_range(msg: str) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]] | None:
    """(the GPU's capability, the build's minimum, its maximum) from torch 2.x's "Found GPU0 ... which is of cuda
    capability 12.1. Minimum and Maximum cuda capability supported by this version of PyTorch is (8.0) - (12.0)";
    ``None`` for any other message (the older "The minimum cuda capability ... is 3.7" names no maximum)."""
    m = _CC_RANGE.search(msg[:_MAX_MESSAGE])
    if not m:
        return None
    g = [int(x) for x in m.groups()]
    return (g[0], g[1]), (g[2], g[3]), (g[4], g[5])


_CUDA_ERROR_CODE = re.compile(r"\bError (\d+): (\w[^.(]{0,120}?)(?=\s*\(Triggered|\s*$|:\s)")


def cuda_error_code(msg: str) -> tuple[int, str] | None:
    """(the CUDA error number, its text) from "Unexpected error from cudaGetDeviceCount() ... Error 500: named
    symbol not found" (c10/cuda/CUDAFunctions.cpp prints cudaGetErrorString after the number)."""
    m = _CUDA_ERROR_CODE.search(msg[:_MAX_MESSAGE])
    return (int(m.group(1)), m.group(2).strip()) if m else None


def parse_unsupported_code(msg: str) -> tuple[str | None, str | None] | None:
    """(capability, the torch it names) from torch 2.10+'s "... which is of compute capability (CC) 12.1"
    warning ("Your installed torch==2.13.0+cu130 does not include kernels for this GPU"); ``None`` otherwise."""
    msg = msg[:_MAX_MESSAGE]
    if "which is of compute capability (CC)" not in msg:
        return None
    m = re.search(r"capability \(CC\)\s*(\d+\.\d+)", msg)
    pin = _TORCH_PIN.search(msg)
    return (m.group(1) if m else None), (pin.group(1) if pin else None)


_EXT_CUDA_MISMATCH = re.compile(
    r"detected CUDA version \((\d+(?:\.\d+)*)\) mismatches the version that was used to compile\s+"
    r"PyTorch \((\d+(?:\.\d+)*)\)"
)


_DEEPSPEED_CUDA_MISMATCH = re.compile(
    r"Installed CUDA version (\d+(?:\.\d+)*) does not match the version torch was compiled with (\d+(?:\.\d+)*)"
)


def parse_extension_cuda_mismatch(msg: str) -> tuple[str, str] | None:
    """(the toolkit's CUDA, torch's CUDA build) from torch's cpp_extension "The detected CUDA version (11.8)
    mismatches the version that was used to compile PyTorch (12.1)" or DeepSpeed's "Installed CUDA version 12.2 does
    not match the version torch was compiled with 11.7"; ``None`` for any other message."""
    m = _EXT_CUDA_MISMATCH.search(msg[:_MAX_MESSAGE]) or _DEEPSPEED_CUDA_MISMATCH.search(msg[:_MAX_MESSAGE])
    return (m.group(1), m.group(2)) if m else None


_DLL_LOAD = re.compile(
    r"(?:\[?WinError (\d+)\]?.*?)?Error loading [\"\u201c\u201d]?([^\"\u201c\u201d]{1,400}?\.dll)[\"\u201c\u201d]?"
    r" or one of its dependencies",
    re.I,
)


def parse_dll_load(msg: str) -> tuple[str | None, str] | None:
    """(the Windows error code or None, the DLL's file name) from torch's 'Error loading "…\\torch\\lib\\c10.dll" or
    one of its dependencies.'"""
    m = _DLL_LOAD.search(msg[:_MAX_MESSAGE])
    if m is None:
        return None
    return m.group(1), re.split(r"[\\/]", m.group(2))[-1]


def parse_apex_torch_cuda(msg: str) -> str | None:
    """torch's CUDA build from apex's "Pytorch binaries were compiled with Cuda 12.1"."""
    m = re.search(r"Pytorch binaries were compiled with Cuda (\d+\.\d+)", msg[:_MAX_MESSAGE])
    return m.group(1) if m else None


def parse_required_cuda(msg: str) -> str | None:
    """The CUDA a container image requires, from libnvidia-container's "unsatisfied condition: cuda>=12.4" or
    nvidia-docker 1's "unsupported CUDA version: 7.5 < 6.5" (the image's, then the driver's)."""
    m = re.search(
        r"unsatisfied condition: cuda ?>= ?(\d+\.\d+)|unsupported CUDA version: (\d+\.\d+) < \d+\.\d+",
        msg[:_MAX_MESSAGE],
    )
    return (m.group(1) or m.group(2)) if m else None


_COMPANION_CUDA = re.compile(
    r"PyTorch and ([\w.-]{2,40}) were compiled with different CUDA (?:major )?versions?\.?\s+PyTorch has CUDA "
    r"[Vv]ersion\s*=?\s*(\d+\.\d+)\s+(?:and|whereas)\s+[\w.-]{2,40}\s+has\s+CUDA [Vv]ersion\s*=?\s*(\d+\.\d+)"
)


def parse_companion_cuda(msg: str) -> tuple[str, str, str] | None:
    """(the package, torch's CUDA, the package's CUDA) from "Detected that PyTorch and torchvision were compiled
    with different CUDA versions. PyTorch has CUDA Version=11.7 and torchvision has CUDA Version=11.8"."""
    m = _COMPANION_CUDA.search(msg[:_MAX_MESSAGE])
    return (m.group(1), m.group(2), m.group(3)) if m else None


def parse_cudnn_incompat(msg: str) -> tuple[str, str] | None:
    """(the cuDNN torch was built with, the one it loaded) from torch's "cuDNN version incompatibility"."""
    m = re.search(
        r"compiled against \((\d+), (\d+), (\d+)\) but (?:linked against|found runtime version)"
        r" \((\d+), (\d+), (\d+)\)",
        msg[:_MAX_MESSAGE],
    )
    if m:
        g = m.groups()
        return ".".join(g[:3]), ".".join(g[3:])
    n = re.search(
        r"compiled against (\d{4,6}) but (?:linked against|found runtime version) (\d{4,6})", msg[:_MAX_MESSAGE]
    )
    if n:
        return cudnn_from_int(int(n.group(1))), cudnn_from_int(int(n.group(2)))
    return None


def cudnn_from_int(n: int) -> str:
    """ "7102" -> "7.1.2", "90100" -> "9.1.0" (``cudnnGetVersion()``, ``torch.backends.cudnn.version()``)."""
    # cudnn_version.h: 9+ is MAJOR*10000 + MINOR*100 + PATCH; 7-8 used MAJOR*1000 + MINOR*100 + PATCH.
    if n >= 90000:
        return f"{n // 10000}.{(n % 10000) // 100}.{n % 100}"
    return f"{n // 1000}.{(n % 1000) // 100}.{n % 100}"


def missing_library(msg: str) -> str | None:
    """The library the loader could not find: "libcuda.so" in "...Error: libcuda.so: cannot open shared object file"."""
    m = re.search(r"([\w.+-]+\.so[\w.]*): cannot open shared object file", msg[:_MAX_MESSAGE])
    return m.group(1) if m else None


_CUDA_LIB = re.compile(r"cuda|cudnn|cublas|cupti|nccl|nvrtc|cusparse|cufft|curand|cusolver|nvjitlink", re.I)


def cuda_library_named(msg: str) -> bool:
    """The loader message is about a CUDA library (not, say, a missing libGL)."""
    return _CUDA_LIB.search(msg[:_MAX_MESSAGE]) is not None
