# -*- Python -*-
import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "TRM"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".test"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.trm_obj_root, "test")
config.excludes = ["Inputs", "golden", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py"]

config.substitutions.append(("%PATH%", config.environment["PATH"]))
config.substitutions.append(("%trm_src", config.trm_src_root))
config.substitutions.append(("%golden", os.path.join(config.trm_src_root, "test", "golden")))
# The tools directory, for scripts that run the tools themselves (sweep_configs.py).
config.substitutions.append(("%trm_bin", config.trm_tools_dir))
# Debian's python with torch/numpy: only the golden comparisons use it.
config.substitutions.append(("%python", "/usr/bin/python3"))
# qemu-x86_64 (scripts/setup.sh installs qemu-user): its CPU has AVX2 but no
# AVX-512, so code for a larger CPU can be shown refused there.
import shutil
if shutil.which("qemu-x86_64"):
    config.available_features.add("qemu-x86_64")
# The aarch64 cross build of the runtime and run_model, and an emulator to
# run it: %aarch64_bin is its bin/ directory, %qemu_aarch64 the command that
# runs one of its programs with Debian's aarch64 libraries.
if config.trm_aarch64_runtime_dir and shutil.which("qemu-aarch64"):
    config.available_features.add("aarch64-runtime")
    config.substitutions.append(
        ("%aarch64_bin", os.path.join(config.trm_aarch64_runtime_dir, "bin")))
    config.substitutions.append(
        ("%qemu_aarch64", "qemu-aarch64 -L /usr/aarch64-linux-gnu"))

llvm_config.with_system_environment(["HOME", "INCLUDE", "LIB", "TMP", "TEMP", "VK_ICD_FILENAMES"])
llvm_config.use_default_substitutions()
# Imports of checkpoint directories are cached under the build, never in the
# user's ~/.cache.
config.environment["TRM_CACHE_DIR"] = os.path.join(config.test_exec_root, "trm-cache")

tool_dirs = [config.trm_tools_dir, config.llvm_tools_dir]
tools = ["trm-opt", "trm-import", "trm-run", "trm-compile", "mlir-opt",
         ToolSubst("not", unresolved="fatal"), ToolSubst("count", unresolved="fatal")]
llvm_config.add_tool_substitutions(tools, tool_dirs)
