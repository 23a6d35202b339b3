# Flags go on targets, never globally.

# Warnings for the project's own C++ targets.
function(hvdb_warnings target)
  target_compile_options(${target} PRIVATE
    $<$<COMPILE_LANGUAGE:CXX>:-Wall -Wextra -Wpedantic -Wshadow -Wnon-virtual-dtor -Woverloaded-virtual
      -Wcast-align -Wmissing-declarations $<$<BOOL:${HVDB_WERROR}>:-Werror>>)
endfunction()

# An internal static library of one room: warnings on, the repository root on
# the include path (internal headers are included as "room/file.h").
function(hvdb_room_library target)
  add_library(${target} STATIC ${ARGN})
  hvdb_warnings(${target})
  target_include_directories(${target} PUBLIC $<BUILD_INTERFACE:${PROJECT_SOURCE_DIR}>)
endfunction()
