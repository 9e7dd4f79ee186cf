// A small, portable random source for the kiln tool: SplitMix64 bits, uniform doubles and Box-Muller
// normals. The standard <random> distributions are implementation-defined, so the same seed would give
// different weights (and plans) with libstdc++ and libc++; this generator gives the same numbers everywhere.
#pragma once

#include <cmath>
#include <cstdint>

namespace kiln::tool {

class Random {
public:
    explicit Random(uint64_t seed) : mState(seed) {}

    /// 64 random bits (SplitMix64, Steele et al. 2014).
    uint64_t next() {
        uint64_t z = (mState += 0x9E3779B97F4A7C15ull);
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
        return z ^ (z >> 31);
    }
    /// Uniform in [0, 1), 53 bits of precision.
    double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
    /// Uniform in [lo, hi).
    double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
    /// Standard normal (Box-Muller; the second value of each pair is kept for the next call).
    double normal() {
        if (mHasSpare) {
            mHasSpare = false;
            return mSpare;
        }
        double u1 = 0.0;
        while (u1 <= 0.0) u1 = uniform();
        const double u2 = uniform();
        const double r = std::sqrt(-2.0 * std::log(u1));
        constexpr double kTwoPi = 6.283185307179586;
        mSpare = r * std::sin(kTwoPi * u2);
        mHasSpare = true;
        return r * std::cos(kTwoPi * u2);
    }

private:
    uint64_t mState;
    double mSpare{0.0};
    bool mHasSpare{false};
};

}  // namespace kiln::tool
