// Synthetic digit drawing (see synthetic_digits.h).
#include "synthetic_digits.h"

#include <algorithm>
#include <cmath>

#include "mnist_reference.h"

namespace sample {

namespace {

struct Point {
    double x, y;
};

/// Distance from p to the segment a-b.
double segmentDistance(Point p, Point a, Point b) {
    const double dx = b.x - a.x, dy = b.y - a.y;
    const double len2 = dx * dx + dy * dy;
    double t = len2 > 0.0 ? ((p.x - a.x) * dx + (p.y - a.y) * dy) / len2 : 0.0;
    t = std::clamp(t, 0.0, 1.0);
    const double ex = a.x + t * dx - p.x, ey = a.y + t * dy - p.y;
    return std::sqrt(ex * ex + ey * ey);
}

/// Ink along a polyline: full inside half the pen width, fading linearly over one pixel.
void drawPolyline(std::vector<float>& pixels, const std::vector<Point>& line) {
    constexpr double kHalfWidth = 0.8;
    for (int y = 0; y < kImageSize; ++y)
        for (int x = 0; x < kImageSize; ++x) {
            const Point p{x + 0.5, y + 0.5};
            double d = 1e9;
            for (size_t i = 0; i + 1 < line.size(); ++i)
                d = std::min(d, segmentDistance(p, line[i], line[i + 1]));
            const double ink = std::clamp(1.0 - (d - kHalfWidth), 0.0, 1.0);
            float& px = pixels[static_cast<size_t>(y * kImageSize + x)];
            px = std::max(px, static_cast<float>(std::round(255.0 * ink)));
        }
}

std::vector<Point> ellipse(double cx, double cy, double rx, double ry) {
    std::vector<Point> pts;
    for (int i = 0; i <= 24; ++i) {
        const double a = 2.0 * 3.141592653589793 * i / 24.0;
        pts.push_back({cx + rx * std::cos(a), cy + ry * std::sin(a)});
    }
    return pts;
}

Digit draw(int label, const std::vector<std::vector<Point>>& strokes) {
    Digit d{label, std::vector<float>(kImageSize * kImageSize, 0.0f)};
    for (const auto& s : strokes) drawPolyline(d.pixels, s);
    return d;
}

}  // namespace

std::vector<Digit> makeSyntheticDigits() {
    return {
        draw(0, {ellipse(14, 14, 6, 9)}),
        draw(1, {{{11, 8}, {15, 5}, {15, 23}}}),
        draw(4, {{{17, 5}, {8, 17}, {21, 17}}, {{17, 5}, {17, 23}}}),
        draw(5, {{{19, 5}, {10, 5}, {9, 13}, {16, 12}, {20, 16}, {19, 21}, {14, 23}, {8, 21}}}),
        draw(7, {{{8, 6}, {20, 6}, {12, 23}}}),
    };
}

std::string asciiArt(const Digit& digit) {
    static const char kShades[] = " .:-=+*#%@";
    std::string s;
    for (int y = 0; y < kImageSize; ++y) {
        for (int x = 0; x < kImageSize; ++x) {
            const float v = digit.pixels[static_cast<size_t>(y * kImageSize + x)];
            s += kShades[std::min(9, static_cast<int>(v / 25.6f))];
        }
        s += '\n';
    }
    return s;
}

}  // namespace sample
