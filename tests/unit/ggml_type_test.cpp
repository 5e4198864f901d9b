#include <gtest/gtest.h>

#include "core/ggml_type.h"

namespace tokcast {
namespace {

TEST(GgmlType, BitsPerWeight) {
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kQ4_0), 4.5);
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kQ8_0), 8.5);
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kQ4_K), 4.5);
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kQ6_K), 6.5625);
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kMXFP4), 4.25);
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kMLX_Q4_G64), 4.5);
  EXPECT_DOUBLE_EQ(BitsPerWeight(TensorType::kNVFP4), 4.5);
}

}  // namespace
}  // namespace tokcast
