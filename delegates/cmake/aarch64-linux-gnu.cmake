# Cross toolchain for 64-bit Arm Linux (Raspberry Pi OS 64-bit class) with Debian's
# gcc-aarch64-linux-gnu:  cmake -DCMAKE_TOOLCHAIN_FILE=delegates/cmake/aarch64-linux-gnu.cmake
# Binaries run under qemu-aarch64-static with QEMU_LD_PREFIX=/usr/aarch64-linux-gnu (or -static).
set(CMAKE_SYSTEM_NAME Linux)
set(CMAKE_SYSTEM_PROCESSOR aarch64)

set(EDGEQ_CROSS_PREFIX aarch64-linux-gnu- CACHE STRING "Cross compiler prefix")
set(CMAKE_C_COMPILER ${EDGEQ_CROSS_PREFIX}gcc)
find_program(EDGEQ_CROSS_CXX ${EDGEQ_CROSS_PREFIX}g++)  # optional: the GEMM library is C only
if(EDGEQ_CROSS_CXX)
  set(CMAKE_CXX_COMPILER ${EDGEQ_CROSS_CXX})
endif()
set(CMAKE_FIND_ROOT_PATH /usr/aarch64-linux-gnu)
set(CMAKE_FIND_ROOT_PATH_MODE_PROGRAM NEVER)
set(CMAKE_FIND_ROOT_PATH_MODE_LIBRARY ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_INCLUDE ONLY)
set(CMAKE_FIND_ROOT_PATH_MODE_PACKAGE ONLY)
if(NOT CMAKE_CROSSCOMPILING_EMULATOR)
  find_program(EDGEQ_QEMU_AARCH64 qemu-aarch64-static)
  if(EDGEQ_QEMU_AARCH64)
    set(CMAKE_CROSSCOMPILING_EMULATOR ${EDGEQ_QEMU_AARCH64} -L /usr/aarch64-linux-gnu)
  endif()
endif()
