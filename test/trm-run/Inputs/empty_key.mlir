func.func @trm_main() {
  %w = trm.weight "" : tensor<4xf32>
  return
}
