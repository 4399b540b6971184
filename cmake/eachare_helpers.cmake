# One place that says how our targets are built: warnings, sanitizers, tests, benchmarks.

# Warnings for our own targets only (third-party headers are included as SYSTEM).
function(eachare_warnings target)
  target_compile_options(${target} PRIVATE -Wall -Wextra -Wpedantic -Wshadow -Wconversion)
  if(EACHARE_WERROR)
    target_compile_options(${target} PRIVATE -Werror)
    if(CMAKE_CXX_COMPILER_ID STREQUAL "GNU" AND CMAKE_CXX_COMPILER_VERSION VERSION_LESS 13)
      # GCC 12 at -O3 reports a false -Wrestrict inside std::string (a known false positive); keep it
      # visible as a warning, not an error, so Release builds with -Werror work.
      target_compile_options(${target} PRIVATE -Wno-error=restrict)
    endif()
    if(EACHARE_SANITIZE STREQUAL "thread")
      # GCC 12 warns (-Wtsan) about atomic_thread_fence inside Boost.Asio's headers; that is
      # TSan's limitation, not our code.
      target_compile_options(${target} PRIVATE -Wno-error=tsan)
    endif()
  endif()
endfunction()

# eachare_library(name SOURCES ... DEPS ...): a static library with our warnings.
function(eachare_library name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS" ${ARGN})
  add_library(${name} STATIC ${ARG_SOURCES})
  target_include_directories(${name} PUBLIC ${PROJECT_SOURCE_DIR})
  target_link_libraries(${name} PUBLIC ${ARG_DEPS})
  target_compile_features(${name} PUBLIC cxx_std_20)
  eachare_warnings(${name})
endfunction()

# eachare_test(name SOURCES ... DEPS ... [LABELS one_label]): one GoogleTest executable, its tests
# registered with CTest one by one (gtest_discover_tests) so failures name the test.
function(eachare_test name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;LABELS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} GTest::gtest GTest::gmock GTest::gtest_main)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  eachare_warnings(${name})
  if(EACHARE_UNITY_TESTS)
    # Test files of one executable then share a translation unit, so their file-local helpers
    # must have distinct names (shared ones live in tests/support/).
    set_target_properties(${name} PROPERTIES UNITY_BUILD ON UNITY_BUILD_BATCH_SIZE 8)
  endif()
  set(label unit)
  if(ARG_LABELS)
    list(LENGTH ARG_LABELS n_labels)
    if(n_labels GREATER 1)
      # gtest_discover_tests splits a list inside PROPERTIES (CMake issue 17812).
      message(FATAL_ERROR "eachare_test(${name}): give one label; add a whole-binary CTest for more")
    endif()
    set(label ${ARG_LABELS})
  endif()
  gtest_discover_tests(${name} PROPERTIES LABELS ${label} DISCOVERY_TIMEOUT 60)
  eachare_label_needs(${label} ${name})
endfunction()

# eachare_label_needs(label target...): `ctest -L label` runs these targets, so the custom target
# tests_<label> (made by eachare_label_targets) builds them. The sanitizer passes of tools/test.sh
# build only tests_unit / tests_integration, not the benchmarks, fuzzers and tools no such test
# runs. A test binary left unbuilt is registered by gtest_discover_tests as one unlabelled
# NOT_BUILT test, which `ctest -L` leaves out.
function(eachare_label_needs label)
  set_property(GLOBAL APPEND PROPERTY EACHARE_LABEL_TARGETS_${label} ${ARGN})
endfunction()

# eachare_label_targets(label...): one custom target tests_<label> per label, depending on every
# target given to eachare_label_needs for it. Call once, after every test directory.
function(eachare_label_targets)
  foreach(label IN LISTS ARGN)
    get_property(targets GLOBAL PROPERTY EACHARE_LABEL_TARGETS_${label})
    add_custom_target(tests_${label})
    if(targets)
      add_dependencies(tests_${label} ${targets})
    endif()
  endforeach()
endfunction()

# eachare_benchmark(name SOURCES ... DEPS ...): one Google Benchmark executable, plus a smoke
# CTest (label bench_smoke) that runs every benchmark for one short iteration so none rots.
function(eachare_benchmark name)
  cmake_parse_arguments(ARG "" "" "SOURCES;DEPS;SMOKE_ARGS" ${ARGN})
  add_executable(${name} ${ARG_SOURCES})
  target_link_libraries(${name} PRIVATE ${ARG_DEPS} benchmark::benchmark)
  target_include_directories(${name} PRIVATE ${PROJECT_SOURCE_DIR})
  eachare_warnings(${name})
  add_test(NAME ${name}_smoke
           COMMAND ${name} --benchmark_min_time=0.001 ${ARG_SMOKE_ARGS})
  set_tests_properties(${name}_smoke PROPERTIES LABELS bench_smoke TIMEOUT 300)
endfunction()
