// Software versions: build numbers and dates on measured rows, a runtime's build eras, and the
// speed factors (an older era's, a wrapper's) that scale the efficiencies a prediction uses.
#include <gtest/gtest.h>

#include "catalog/error.h"
#include "catalog/measurements.h"
#include "core/perf_model.h"
#include "test_util.h"

namespace tokcast {
namespace {

using test::BuiltinCatalog;

TEST(Eras, IsoDaysRoundTripAndRejectImpossibleDates) {
  EXPECT_EQ(ParseIsoDay("1970-01-01"), 0);
  EXPECT_EQ(ParseIsoDay("1970-02"), 31);
  ASSERT_TRUE(ParseIsoDay("2024-08-26"));
  EXPECT_EQ(FormatIsoDay(*ParseIsoDay("2024-08-26")), "2024-08-26");
  EXPECT_EQ(FormatIsoDay(*ParseIsoDay("2024-02-29")), "2024-02-29");
  for (const char* bad : {"2023-02-29", "2024-13-01", "2024-8-26", "24-08-26", "2024-08-26x", "", "b3622"}) {
    EXPECT_FALSE(ParseIsoDay(bad)) << bad;
  }
}

TEST(Eras, BuildDaysInterpolateBetweenAnchors) {
  const Day d0 = *ParseIsoDay("2024-01-01"), d1 = *ParseIsoDay("2024-01-11");
  const std::vector<std::pair<uint32_t, Day>> anchors = {{2000, d1}, {1000, d0}};  // any order
  EXPECT_EQ(BuildDay(anchors, 1000), d0);
  EXPECT_EQ(BuildDay(anchors, 1500), d0 + 5);
  EXPECT_EQ(BuildDay(anchors, 3000), d1 + 10);  // extrapolated along the nearest segment
  EXPECT_EQ(BuildDay(anchors, 500), d0 - 5);
  EXPECT_FALSE(BuildDay({{1000, d0}}, 1200));
  // The shipped llama.cpp anchors: build 3622 (dmatora/LLM-inference-speed-benchmarks#12,
  // reported 2024-08-26) lands in August 2024.
  const auto b3622 = BuiltinCatalog().BuildDay("llama.cpp", 3622);
  ASSERT_TRUE(b3622);
  EXPECT_EQ(FormatIsoDay(*b3622).substr(0, 7), "2024-08");
}

TEST(Eras, ABuildFallsInTheEraBeforeTheChangeThatEndedIt) {
  const RuntimeProfile& cuda = BuiltinCatalog().Runtime("llama.cpp-cuda");
  ASSERT_GE(cuda.eras.size(), 2u);
  for (size_t i = 1; i < cuda.eras.size(); ++i) EXPECT_LT(cuda.eras[i - 1].until, cuda.eras[i].until);
  EXPECT_EQ(EraOn(cuda, cuda.eras[0].until - 1), cuda.eras[0].id);
  EXPECT_EQ(EraOn(cuda, cuda.eras[0].until), cuda.eras[1].id);
  EXPECT_EQ(EraOn(cuda, cuda.eras.back().until), "");  // current builds
  for (const auto& e : cuda.eras) {
    EXPECT_FALSE(e.what.empty()) << e.id;
    EXPECT_FALSE(e.sources.empty()) << e.id;
  }
  const RuntimeProfile& cat_day = cuda;
  EXPECT_THROW(BuiltinCatalog().VersionDay(cat_day, "banana", "--runtime-version"), catalog::InputError);
  EXPECT_THROW(BuiltinCatalog().VersionDay(BuiltinCatalog().Runtime("mlx"), "b3622", "--runtime-version"),
               catalog::InputError);  // MLX has no numbered builds; a date still works
  EXPECT_NO_THROW(BuiltinCatalog().VersionDay(BuiltinCatalog().Runtime("mlx"), "2025-06", "--runtime-version"));
}

TEST(Eras, RowsCarryTheirBuildFromColumnsOrNotes) {
  const std::string header =
      "hardware,device_count,runtime,model,quant,test,n_prompt,n_gen,depth,batch,value,unit,source_id,source_url,"
      "notes";
  const auto rows = catalog::ParseMeasurementsCsv(
      header + "\nh,1,r,m,q,tg,,128,0,1,100,tok/s,X,,\"build: 93bc3839 (3622); 2024-08-26\"\n" +
          "h,1,r,m,q,tg,,128,0,1,100,tok/s,X,,\"no build; 2025-11; sd 0.2\"\n" +
          "h,1,r,m,q,tg,,128,0,1,100,tok/s,X,,\"build: 8e672ef reference; v2023-11-31x\"\n",
      "t.csv");
  ASSERT_EQ(rows.size(), 3u);
  EXPECT_EQ(rows[0].build, 3622u);
  EXPECT_EQ(rows[0].day, ParseIsoDay("2024-08-26"));
  EXPECT_FALSE(rows[1].build);
  EXPECT_EQ(rows[1].day, ParseIsoDay("2025-11-01"));
  EXPECT_FALSE(rows[2].build);  // a commit without a build number
  EXPECT_FALSE(rows[2].day);    // not a real date
  const auto cols = catalog::ParseMeasurementsCsv(
      header + ",build,date\nh,1,r,m,q,tg,,128,0,1,100,tok/s,X,,\"build: abc (1)\",b4000,2024-10-31\n", "c.csv");
  EXPECT_EQ(cols[0].build, 4000u);  // the columns win over the notes
  EXPECT_EQ(cols[0].day, ParseIsoDay("2024-10-31"));
  EXPECT_THROW(
      catalog::ParseMeasurementsCsv(header + ",date\nh,1,r,m,q,tg,,128,0,1,100,tok/s,X,,,2024-02-30\n", "bad.csv"),
      catalog::InputError);
  EXPECT_THROW(catalog::ParseMeasurementsCsv(header + ",build\nh,1,r,m,q,tg,,128,0,1,100,tok/s,X,,,b12x\n", "bad.csv"),
               catalog::InputError);
}

TEST(Eras, SpeedFactorsScaleTheEntryAndNeverPassOne) {
  Efficiency e;
  e.compute = 0.8;
  e.dense_compute = 0.6;
  e.attention = 0.5;
  e.memory = 0.9;
  const Efficiency s = Scaled(e, SpeedFactors{1.5, 0.5, 3});
  EXPECT_DOUBLE_EQ(s.compute, 1.0);  // capped: no era beats the hardware
  EXPECT_DOUBLE_EQ(s.dense_compute, 0.9);
  EXPECT_DOUBLE_EQ(s.attention, 0.75);
  EXPECT_DOUBLE_EQ(s.memory, 0.45);
  EXPECT_DOUBLE_EQ(s.layer_overhead_s, e.layer_overhead_s);
}

// llama.cpp's Vulkan backend runs different kernels per vendor: its rows fit one group per
// vendor, and a vendor without rows (Intel here) takes the stand-in runtime's fit, never
// another vendor's Vulkan one.
TEST(Eras, VulkanIsCalibratedPerVendor) {
  const catalog::Catalog& cat = BuiltinCatalog();
  const EfficiencyProfile& profile = catalog::BuiltinEfficiencyProfile();
  const RuntimeProfile& vulkan = cat.Runtime("llama.cpp-vulkan");
  ASSERT_TRUE(vulkan.per_vendor_efficiency);
  const HardwareSpec& amd = cat.Hardware("amd-rx-9070-xt");
  const HardwareSpec& nvidia = cat.Hardware("nvidia-rtx-3090");
  const HardwareSpec& intel = cat.Hardware("intel-arc-b580");
  EXPECT_EQ(CalibrationKey(vulkan, amd), "llama.cpp-vulkan/discrete_gpu/AMD");
  EXPECT_EQ(profile.KeyFor(vulkan, amd), "llama.cpp-vulkan/discrete_gpu/AMD");
  EXPECT_EQ(profile.KeyFor(vulkan, nvidia), "llama.cpp-vulkan/discrete_gpu/NVIDIA");
  EXPECT_EQ(profile.KeyFor(vulkan, intel), "llama.cpp-vulkan/discrete_gpu/Intel");
  EXPECT_NE(profile.For(vulkan, amd).compute, profile.For(vulkan, nvidia).compute);
  // A vendor without rows takes the stand-in's fit, never another vendor's Vulkan fit.
  EfficiencyProfile without_intel = profile;
  ASSERT_EQ(without_intel.entries.erase("llama.cpp-vulkan/discrete_gpu/Intel"), 1u);
  EXPECT_EQ(without_intel.KeyFor(vulkan, intel), "llama.cpp-cuda/discrete_gpu");
  // Runtimes whose kernels do not differ by vendor keep one group per class.
  EXPECT_EQ(CalibrationKey(cat.Runtime("llama.cpp-rocm"), amd), "llama.cpp-rocm/discrete_gpu");
}

// Ollama stands in with the platform's llama.cpp backend (Metal on a Mac, not the CUDA fit of
// a DGX Spark that shares the Mac's hardware class) and takes its own relative speed.
TEST(Eras, AWrapperStandsInWithThePlatformsBackendAtItsOwnSpeed) {
  const catalog::Catalog& cat = BuiltinCatalog();
  const EfficiencyProfile& profile = catalog::BuiltinEfficiencyProfile();
  const RuntimeProfile& ollama = cat.Runtime("ollama");
  const HardwareSpec& mac = cat.Hardware("apple-m4-max-40c");
  const HardwareSpec& spark = cat.Hardware("nvidia-dgx-spark");
  EXPECT_EQ(profile.KeyFor(ollama, mac), "llama.cpp-metal/unified_soc");
  EXPECT_EQ(profile.KeyFor(ollama, spark), "llama.cpp-cuda/unified_soc");
  const auto factors = profile.FactorsFor(ollama, mac);
  ASSERT_EQ(factors.size(), 1u);
  EXPECT_EQ(factors[0].first, "ollama");
  const Efficiency metal = profile.For(cat.Runtime("llama.cpp-metal"), mac);
  const Efficiency wrapped = profile.Effective(ollama, mac);
  EXPECT_NEAR(wrapped.memory, std::min(1.0, metal.memory * factors[0].second.memory), 1e-12);
  // llama.cpp itself takes no factor at its current builds, and its era's at an older one.
  RuntimeProfile cuda = cat.Runtime("llama.cpp-cuda");
  EXPECT_TRUE(profile.FactorsFor(cuda, cat.Hardware("nvidia-rtx-4090")).empty());
  // The oldest era's builds also lack every later era's change: its factor and theirs.
  cuda.era = cuda.eras.front().id;
  const auto old = profile.FactorsFor(cuda, cat.Hardware("nvidia-rtx-4090"));
  ASSERT_EQ(old.size(), cuda.eras.size());
  for (size_t i = 0; i < old.size(); ++i) EXPECT_EQ(old[i].first, "llama.cpp-cuda@" + cuda.eras[i].id);
  cuda.era = cuda.eras.back().id;
  EXPECT_EQ(profile.FactorsFor(cuda, cat.Hardware("nvidia-rtx-4090")).size(), 1u);
}

}  // namespace
}  // namespace tokcast
