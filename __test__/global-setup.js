// Users are in Japan: run every test file (and the addon's notion of "local time") in Asia/Tokyo.
module.exports = async () => {
  process.env.TZ = 'Asia/Tokyo'
}
