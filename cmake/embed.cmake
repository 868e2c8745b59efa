# at_embed(TARGET_VAR SYMBOL FILES...): generates a C file defining
#   const at_embedded_t SYMBOL[] = {{"name", bytes, len}, ..., {0}};
# from the given files (sorted by name), so a binary carries its migrations
# and data and needs no install path at run time.
function(at_embed out_var symbol)
  set(files ${ARGN})
  list(SORT files)
  set(out ${CMAKE_CURRENT_BINARY_DIR}/${symbol}.c)
  # a ";" in a custom command argument would split it in the shell (paths with
  # a comma are not supported)
  string(REPLACE ";" "," files_arg "${files}")
  add_custom_command(
    OUTPUT ${out}
    COMMAND ${CMAKE_COMMAND} -DOUT=${out} -DSYMBOL=${symbol} "-DFILES=${files_arg}"
            -P ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    DEPENDS ${files} ${PROJECT_SOURCE_DIR}/cmake/embed_run.cmake
    COMMENT "embedding ${symbol}"
    VERBATIM)
  set(${out_var} ${out} PARENT_SCOPE)
endfunction()
