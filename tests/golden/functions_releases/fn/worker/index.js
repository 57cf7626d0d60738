exports.handler = async (event) => { console.log(JSON.stringify(event)); };
