# Flags go on targets, never globally.

# Warnings for the project's own C++ targets.
function(hvdb_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
      -Wcast-align -Wmissing-declarations $<$<BOOL:${HVDB_WERROR}>:-Werror>
      # Options structs are meant to be filled with designated initializers
      # naming only what differs from the defaults ({.dim = 2048}).
      -Wno-missing-field-initializers>)
  # GCC 12 at -O3 reports std::string concatenation ("'" + name) as an
  # overlapping memcpy (GCC bug 105651, fixed in 13).
  if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
    target_compile_options(${target} PRIVATE $<$<COMPILE_LANGUAGE:CXX>:-Wno-restrict>)
  endif()
endfunction()

# An internal static library of one room: warnings on, the repository root on
# the include path (internal headers are included as "room/file.h").
function(hvdb_room_library target)
  add_library(${target} STATIC ${ARGN})
  hvdb_warnings(${target})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
endfunction()
