// asio.hpp: the one way eachare code includes Boost.Asio. Header only; no threading rule of its
// own (Asio's: an io_context is driven by the threads that run it; ours runs on exactly one).
//
// Boost 1.74's Asio fails to compile under GCC 12 in C++20 mode (awaitable.hpp uses
// std::exchange without including <utility>), so <utility> must come first. Keep every Asio
// include behind this header so that quirk lives in one place.
#pragma once

#include <utility>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/read.hpp>
#include <boost/asio/read_until.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/write.hpp>
